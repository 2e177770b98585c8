locals {
  create = var.create

  # Tickets never fall back to the pager: without a ticket topic they notify nobody.
  ticket_actions = var.ticket_sns_topic_arn == null ? [] : [var.ticket_sns_topic_arn]

  availability_budget = 1 - var.availability_slo / 100
  latency_budget      = 1 - var.latency_slo / 100
}

################################################################################
# Log-derived metrics (metric filters on the JSON transaction log)
################################################################################

locals {
  # One entry per metric. A filter with dimensions cannot have a default value, so dependency
  # metrics have gaps where nothing happened; the alarms FILL them with 0.
  metric_filters = {
    transactions = {
      metric_name   = "Transactions"
      pattern       = "{ $.event = \"transaction\" }"
      value         = "1"
      unit          = "Count"
      default_value = "0"
      dimensions    = {}
    }
    failed-transactions = {
      metric_name   = "FailedTransactions"
      pattern       = "{ ($.event = \"transaction\") && (($.status >= 500) || ($.status = 429)) }"
      value         = "1"
      unit          = "Count"
      default_value = "0"
      dimensions    = {}
    }
    slow-transactions = {
      metric_name   = "SlowTransactions"
      pattern       = "{ ($.event = \"transaction\") && ($.duration_ms > ${var.latency_slo_threshold_ms}) }"
      value         = "1"
      unit          = "Count"
      default_value = "0"
      dimensions    = {}
    }
    # No default value: zeros would drag the percentiles down.
    transaction-duration = {
      metric_name   = "TransactionDuration"
      pattern       = "{ $.event = \"transaction\" }"
      value         = "$.duration_ms"
      unit          = "Milliseconds"
      default_value = null
      dimensions    = {}
    }
    heartbeats = {
      metric_name   = "Heartbeats"
      pattern       = "{ $.event = \"heartbeat\" }"
      value         = "1"
      unit          = "Count"
      default_value = "0"
      dimensions    = {}
    }
    dependency-calls = {
      metric_name   = "DependencyCalls"
      pattern       = "{ $.event = \"dependency_call\" }"
      value         = "1"
      unit          = "Count"
      default_value = null
      dimensions    = { Dependency = "$.dependency" }
    }
    dependency-failures = {
      metric_name   = "DependencyFailures"
      pattern       = "{ ($.event = \"dependency_call\") && (($.outcome = \"error\") || ($.outcome = \"timeout\") || ($.outcome = \"circuit_open\")) }"
      value         = "1"
      unit          = "Count"
      default_value = null
      dimensions    = { Dependency = "$.dependency" }
    }
    dependency-throttled = {
      metric_name   = "DependencyThrottled"
      pattern       = "{ ($.event = \"dependency_call\") && ($.outcome = \"throttled\") }"
      value         = "1"
      unit          = "Count"
      default_value = null
      dimensions    = { Dependency = "$.dependency" }
    }
    dependency-duration = {
      metric_name   = "DependencyDuration"
      pattern       = "{ $.event = \"dependency_call\" }"
      value         = "$.duration_ms"
      unit          = "Milliseconds"
      default_value = null
      dimensions    = { Dependency = "$.dependency" }
    }
  }
}

resource "aws_cloudwatch_log_metric_filter" "this" {
  for_each = local.create ? local.metric_filters : {}

  name           = "${var.name}-${each.key}"
  log_group_name = var.log_group_name
  pattern        = each.value.pattern

  metric_transformation {
    name          = each.value.metric_name
    namespace     = var.metric_namespace
    value         = each.value.value
    unit          = each.value.unit
    default_value = each.value.default_value
    dimensions    = length(each.value.dimensions) > 0 ? each.value.dimensions : null
  }
}

################################################################################
# SLO burn rates (multi-window, multi-burn-rate)
################################################################################

locals {
  # The same SLI as the Prometheus path: a request is bad when the service answers 5xx or 429
  # (FailedTransactions, from the transaction log; ALB metrics cannot tell 429 from other 4xx).
  # One deliberate difference: the ALB's own 5xx (no healthy target, a task dying mid-request)
  # are bad too, over the ALB's RequestCount, because only the ALB sees those requests.
  # Latency comes from the service's own log.
  alb = { namespace = "AWS/ApplicationELB", dimensions = { LoadBalancer = var.alb_arn_suffix } }
  log = { namespace = var.metric_namespace, dimensions = {} }
  slis = {
    availability = {
      bad    = [merge(local.alb, { metric = "HTTPCode_ELB_5XX_Count" }), merge(local.log, { metric = "FailedTransactions" })]
      total  = merge(local.alb, { metric = "RequestCount" })
      budget = local.availability_budget
    }
    latency = {
      bad    = [merge(local.log, { metric = "SlowTransactions" })]
      total  = merge(local.log, { metric = "Transactions" })
      budget = local.latency_budget
    }
  }

  # CloudWatch alarms cannot look back 3 days, so the ticket pair is 1x over 1d + 6h here (the
  # Prometheus rules keep 3d + 6h). Page pairs are the SRE-workbook ones.
  burn_windows = {
    fast-long    = { period = 3600, factor = 14.4 }
    fast-short   = { period = 300, factor = 14.4 }
    slow-long    = { period = 21600, factor = 6 }
    slow-short   = { period = 1800, factor = 6 }
    ticket-long  = { period = 86400, factor = 1 }
    ticket-short = { period = 21600, factor = 1 }
  }

  burn_alarms = {
    for pair in setproduct(keys(local.slis), keys(local.burn_windows)) : "${pair[0]}-${pair[1]}" => {
      sli    = local.slis[pair[0]]
      window = local.burn_windows[pair[1]]
    }
  }
}

resource "aws_cloudwatch_metric_alarm" "burn_rate" {
  for_each = local.create ? local.burn_alarms : {}

  alarm_name          = "${var.name}-slo-${each.key}"
  alarm_description   = "Error ratio over ${each.value.window.period}s above ${each.value.window.factor}x the error budget. Input of a composite alarm; notifies nobody by itself."
  comparison_operator = "GreaterThanThreshold"
  evaluation_periods  = 1
  threshold           = each.value.window.factor * each.value.sli.budget
  treat_missing_data  = "notBreaching"

  dynamic "metric_query" {
    for_each = each.value.sli.bad
    content {
      id = "bad${metric_query.key}"
      metric {
        namespace   = metric_query.value.namespace
        metric_name = metric_query.value.metric
        dimensions  = metric_query.value.dimensions
        period      = each.value.window.period
        stat        = "Sum"
      }
    }
  }

  metric_query {
    id = "total"
    metric {
      namespace   = each.value.sli.total.namespace
      metric_name = each.value.sli.total.metric
      dimensions  = each.value.sli.total.dimensions
      period      = each.value.window.period
      stat        = "Sum"
    }
  }

  metric_query {
    id          = "ratio"
    expression  = "(${join(" + ", [for i, _ in each.value.sli.bad : "FILL(bad${i}, 0)"])}) / total"
    label       = "bad/total"
    return_data = true
  }

  tags = var.tags
}

resource "aws_cloudwatch_composite_alarm" "slo_page" {
  for_each = local.create ? local.slis : {}

  alarm_name        = "${var.name}-slo-${each.key}-page"
  alarm_description = "PAGE: the ${each.key} error budget burns at 14.4x over 1h+5m or 6x over 6h+30m. Runbook: monitoring/runbook.md#alert-name-middleware${each.key == "availability" ? "error" : "latency"}budgetburn"
  alarm_rule = join(" OR ", [
    "(ALARM(\"${aws_cloudwatch_metric_alarm.burn_rate["${each.key}-fast-long"].alarm_name}\") AND ALARM(\"${aws_cloudwatch_metric_alarm.burn_rate["${each.key}-fast-short"].alarm_name}\"))",
    "(ALARM(\"${aws_cloudwatch_metric_alarm.burn_rate["${each.key}-slow-long"].alarm_name}\") AND ALARM(\"${aws_cloudwatch_metric_alarm.burn_rate["${each.key}-slow-short"].alarm_name}\"))",
  ])
  alarm_actions = [var.page_sns_topic_arn]
  ok_actions    = [var.page_sns_topic_arn]

  tags = var.tags
}

resource "aws_cloudwatch_composite_alarm" "slo_ticket" {
  for_each = local.create ? local.slis : {}

  alarm_name        = "${var.name}-slo-${each.key}-ticket"
  alarm_description = "TICKET: the ${each.key} error budget burns faster than 1x over 1d+6h."
  alarm_rule        = "ALARM(\"${aws_cloudwatch_metric_alarm.burn_rate["${each.key}-ticket-long"].alarm_name}\") AND ALARM(\"${aws_cloudwatch_metric_alarm.burn_rate["${each.key}-ticket-short"].alarm_name}\")"
  alarm_actions     = local.ticket_actions

  lifecycle {
    precondition {
      condition     = var.ticket_sns_topic_arn != var.page_sns_topic_arn
      error_message = "ticket_sns_topic_arn must not be the pager topic: tickets would page."
    }
  }

  tags = var.tags
}

################################################################################
# Dependencies
################################################################################

resource "aws_cloudwatch_metric_alarm" "dependency_error_rate" {
  for_each = local.create ? toset(var.dependencies) : toset([])

  alarm_name          = "${var.name}-dependency-${each.key}-error-rate"
  alarm_description   = "TICKET: more than ${var.dependency_error_rate_threshold * 100} % of calls to ${each.key} fail or time out for 10 minutes. Runbook: monitoring/runbook.md#alert-name-middlewaredependencyerrorratehigh"
  comparison_operator = "GreaterThanThreshold"
  evaluation_periods  = 10
  datapoints_to_alarm = 10
  threshold           = var.dependency_error_rate_threshold
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.ticket_actions
  ok_actions          = local.ticket_actions

  metric_query {
    id = "failures"
    metric {
      namespace   = var.metric_namespace
      metric_name = "DependencyFailures"
      dimensions  = { Dependency = each.key }
      period      = 60
      stat        = "Sum"
    }
  }

  metric_query {
    id = "calls"
    metric {
      namespace   = var.metric_namespace
      metric_name = "DependencyCalls"
      dimensions  = { Dependency = each.key }
      period      = 60
      stat        = "Sum"
    }
  }

  # Below 6 calls a minute one failure is already 17 %: too little traffic to judge.
  metric_query {
    id          = "ratio"
    expression  = "IF(calls >= 6, FILL(failures, 0) / calls, 0)"
    label       = "failed/calls"
    return_data = true
  }

  tags = var.tags
}

################################################################################
# Latency p99
################################################################################

resource "aws_cloudwatch_metric_alarm" "latency_p99" {
  count = local.create ? 1 : 0

  alarm_name          = "${var.name}-latency-p99"
  alarm_description   = "TICKET: the service's p99 (duration_ms in the transaction log) is above ${var.latency_p99_threshold_ms} ms for 15 minutes."
  namespace           = var.metric_namespace
  metric_name         = "TransactionDuration"
  extended_statistic  = "p99"
  period              = 300
  evaluation_periods  = 3
  datapoints_to_alarm = 3
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.latency_p99_threshold_ms
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.ticket_actions
  ok_actions          = local.ticket_actions

  tags = var.tags
}

# SuccessfulRequestLatency publishes Minimum, Maximum, Average and SampleCount, not
# percentiles (AWS DynamoDB metrics reference): a p99 alarm would read a statistic that is never
# there and sit in INSUFFICIENT_DATA forever. The tail is the service's own DependencyDuration.
resource "aws_cloudwatch_metric_alarm" "dynamodb_latency" {
  for_each = local.create ? toset(["GetItem", "PutItem"]) : toset([])

  alarm_name          = "${var.name}-dynamodb-${lower(each.key)}-latency"
  alarm_description   = "TICKET: DynamoDB ${each.key} average latency on ${var.table_name} is above ${var.dynamodb_latency_average_threshold_ms} ms for 15 minutes. Runbook: monitoring/runbook.md#alert-name-dynamodblatencyhigh"
  namespace           = "AWS/DynamoDB"
  metric_name         = "SuccessfulRequestLatency"
  dimensions          = { TableName = var.table_name, Operation = each.key }
  statistic           = "Average"
  period              = 300
  evaluation_periods  = 3
  datapoints_to_alarm = 3
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.dynamodb_latency_average_threshold_ms
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.ticket_actions
  ok_actions          = local.ticket_actions

  tags = var.tags
}

# On-demand: no provisioned capacity to compare with; the ceiling shows as throttling, alarmed
# as a share of the operation's requests (SampleCount of SuccessfulRequestLatency + throttled).
resource "aws_cloudwatch_metric_alarm" "dynamodb_throttle_ratio" {
  for_each = local.create ? toset(["GetItem", "PutItem"]) : toset([])

  alarm_name          = "${var.name}-dynamodb-${lower(each.key)}-throttle-ratio"
  alarm_description   = "TICKET: more than ${var.dynamodb_throttle_ratio_threshold * 100} % of ${each.key} requests on ${var.table_name} are throttled for 10 minutes. Runbook: monitoring/runbook.md#alert-name-dynamodbthrottling"
  comparison_operator = "GreaterThanThreshold"
  evaluation_periods  = 10
  datapoints_to_alarm = 10
  threshold           = var.dynamodb_throttle_ratio_threshold
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.ticket_actions
  ok_actions          = local.ticket_actions

  metric_query {
    id = "throttled"
    metric {
      namespace   = "AWS/DynamoDB"
      metric_name = "ThrottledRequests"
      dimensions  = { TableName = var.table_name, Operation = each.key }
      period      = 60
      stat        = "Sum"
    }
  }

  metric_query {
    id = "ok"
    metric {
      namespace   = "AWS/DynamoDB"
      metric_name = "SuccessfulRequestLatency"
      dimensions  = { TableName = var.table_name, Operation = each.key }
      period      = 60
      stat        = "SampleCount"
    }
  }

  metric_query {
    id          = "ratio"
    expression  = "IF(FILL(ok, 0) + FILL(throttled, 0) >= 60, FILL(throttled, 0) / (FILL(ok, 0) + FILL(throttled, 0)), 0)"
    label       = "throttled/requests"
    return_data = true
  }

  tags = var.tags
}

resource "aws_dynamodb_contributor_insights" "this" {
  count = local.create && var.enable_dynamodb_contributor_insights ? 1 : 0

  table_name = var.table_name
}

# Hot keys: the most throttled partition key from the table's Contributor Insights rule. Only
# MaxContributorValue and Maximum are meaningful statistics of these rules.
resource "aws_cloudwatch_metric_alarm" "dynamodb_hot_key" {
  count = local.create && var.dynamodb_throttled_keys_rule_name != null ? 1 : 0

  alarm_name          = "${var.name}-dynamodb-hot-key"
  alarm_description   = "TICKET: one partition key of ${var.table_name} is throttled more than ${var.hot_key_throttles_per_minute} times a minute for 5 minutes (see the Contributor Insights rule for the key). Runbook: monitoring/runbook.md#alert-name-dynamodbthrottling"
  comparison_operator = "GreaterThanThreshold"
  evaluation_periods  = 5
  datapoints_to_alarm = 5
  threshold           = var.hot_key_throttles_per_minute
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.ticket_actions
  ok_actions          = local.ticket_actions

  metric_query {
    id          = "hot"
    expression  = "INSIGHT_RULE_METRIC(\"${coalesce(var.dynamodb_throttled_keys_rule_name, "unset")}\", \"MaxContributorValue\")"
    label       = "throttles of the most throttled key"
    period      = 60
    return_data = true
  }

  tags = var.tags
}

################################################################################
# Aurora PostgreSQL events (EventBridge)
################################################################################

locals {
  # failure and low storage page; failover, maintenance, notification and recovery open a
  # ticket (a failover heals itself in ~30 s; if users felt it, the SLO pages).
  rds_event_routes = {
    page   = { categories = ["failure", "low storage"], actions = [var.page_sns_topic_arn] }
    ticket = { categories = ["failover", "maintenance", "notification", "recovery"], actions = local.ticket_actions }
  }
  rds_event_rules = local.create && var.db_cluster_identifier != null ? {
    for k, v in local.rds_event_routes : k => v if length(v.actions) > 0
  } : {}
}

resource "aws_cloudwatch_event_rule" "rds" {
  for_each = local.rds_event_rules

  name        = "${var.name}-rds-events-${each.key}"
  description = "Aurora ${join(", ", each.value.categories)} events of ${coalesce(var.db_cluster_identifier, "-")} to the ${each.key} topic."
  event_pattern = jsonencode({
    source      = ["aws.rds"]
    detail-type = ["RDS DB Instance Event", "RDS DB Cluster Event"]
    detail = {
      EventCategories  = each.value.categories
      SourceIdentifier = [{ prefix = coalesce(var.db_cluster_identifier, "-") }]
    }
  })

  tags = var.tags
}

# The topics' access policies must allow events.amazonaws.com to publish (section 1's
# observability module owns the topics).
resource "aws_cloudwatch_event_target" "rds" {
  for_each = local.rds_event_rules

  rule = aws_cloudwatch_event_rule.rds[each.key].name
  arn  = each.value.actions[0]
}

################################################################################
# Log pipeline dead-man's switch
################################################################################

# Every task writes {"event":"heartbeat"} once a minute. No heartbeat in CloudWatch Logs for
# 30 minutes means the audit trail is not being written: page, as the Prometheus path does.
resource "aws_cloudwatch_metric_alarm" "log_heartbeat_missing" {
  count = local.create ? 1 : 0

  alarm_name          = "${var.name}-log-heartbeat-missing"
  alarm_description   = "PAGE: no heartbeat line reached ${var.log_group_name} for 30 minutes. Runbook: monitoring/runbook.md#alert-name-logpipelineingestionlaghigh"
  namespace           = var.metric_namespace
  metric_name         = "Heartbeats"
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 6
  datapoints_to_alarm = 6
  comparison_operator = "LessThanThreshold"
  threshold           = 1
  treat_missing_data  = "breaching"
  alarm_actions       = [var.page_sns_topic_arn]
  ok_actions          = [var.page_sns_topic_arn]

  tags = var.tags
}
