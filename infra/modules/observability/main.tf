data "aws_caller_identity" "current" {}

locals {
  create        = var.create
  create_alarms = local.create && var.create_alarms
  alarm_actions = try([aws_sns_topic.this[0].arn], [])
}

################################################################################
# Alarm topic
################################################################################

resource "aws_sns_topic" "this" {
  count = local.create ? 1 : 0

  name              = "${var.name}-alarms"
  kms_master_key_id = var.sns_kms_key_arn

  tags = var.tags
}

# Who may publish: CloudWatch alarms, EventBridge rules and the listed services of this account
# only (SNS developer guide, "Amazon SNS access control" example policies with aws:SourceAccount).
data "aws_iam_policy_document" "topic" {
  count = local.create ? 1 : 0

  statement {
    sid       = "ServicesOfThisAccountPublish"
    actions   = ["sns:Publish"]
    resources = [aws_sns_topic.this[0].arn]

    principals {
      type        = "Service"
      identifiers = concat(["cloudwatch.amazonaws.com", "events.amazonaws.com"], var.topic_publisher_services)
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [data.aws_caller_identity.current.account_id]
    }
  }

  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["sns:Publish"]
    resources = [aws_sns_topic.this[0].arn]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

resource "aws_sns_topic_policy" "this" {
  count = local.create ? 1 : 0

  arn    = aws_sns_topic.this[0].arn
  policy = data.aws_iam_policy_document.topic[0].json
}

resource "aws_sns_topic_subscription" "email" {
  for_each = local.create ? toset(var.alarm_emails) : toset([])

  topic_arn = aws_sns_topic.this[0].arn
  protocol  = "email"
  endpoint  = each.value
}

################################################################################
# Alarms
################################################################################

resource "aws_cloudwatch_metric_alarm" "alb_5xx_rate" {
  count = local.create_alarms ? 1 : 0

  alarm_name          = "${var.name}-5xx-rate"
  alarm_description   = "More than ${var.thresholds.error_rate_percent}% of requests answered 5xx (ALB or targets) for 3 of 5 minutes."
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.thresholds.error_rate_percent
  evaluation_periods  = 5
  datapoints_to_alarm = 3
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions

  metric_query {
    id          = "rate"
    expression  = "100 * (FILL(elb5xx, 0) + FILL(target5xx, 0)) / requests"
    label       = "5xx percent"
    return_data = true
  }

  metric_query {
    id = "elb5xx"

    metric {
      namespace   = "AWS/ApplicationELB"
      metric_name = "HTTPCode_ELB_5XX_Count"
      period      = 60
      stat        = "Sum"
      dimensions  = { LoadBalancer = var.alb_arn_suffix }
    }
  }

  metric_query {
    id = "target5xx"

    metric {
      namespace   = "AWS/ApplicationELB"
      metric_name = "HTTPCode_Target_5XX_Count"
      period      = 60
      stat        = "Sum"
      dimensions  = { LoadBalancer = var.alb_arn_suffix }
    }
  }

  metric_query {
    id = "requests"

    metric {
      namespace   = "AWS/ApplicationELB"
      metric_name = "RequestCount"
      period      = 60
      stat        = "Sum"
      dimensions  = { LoadBalancer = var.alb_arn_suffix }
    }
  }

  tags = var.tags
}

resource "aws_cloudwatch_metric_alarm" "p99_latency" {
  count = local.create_alarms ? 1 : 0

  alarm_name          = "${var.name}-p99-latency"
  alarm_description   = "Target response time p99 above ${var.thresholds.p99_latency_seconds}s for 5 minutes."
  namespace           = "AWS/ApplicationELB"
  metric_name         = "TargetResponseTime"
  extended_statistic  = "p99"
  period              = 60
  evaluation_periods  = 5
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.thresholds.p99_latency_seconds
  treat_missing_data  = "notBreaching"
  dimensions          = { LoadBalancer = var.alb_arn_suffix, TargetGroup = var.target_group_arn_suffix }
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions

  tags = var.tags
}

resource "aws_cloudwatch_metric_alarm" "unhealthy_hosts" {
  count = local.create_alarms ? 1 : 0

  alarm_name          = "${var.name}-unhealthy-hosts"
  alarm_description   = "At least one task failed its load balancer health check for 3 minutes."
  namespace           = "AWS/ApplicationELB"
  metric_name         = "UnHealthyHostCount"
  statistic           = "Maximum"
  period              = 60
  evaluation_periods  = 3
  comparison_operator = "GreaterThanThreshold"
  threshold           = 0
  treat_missing_data  = "notBreaching"
  dimensions          = { LoadBalancer = var.alb_arn_suffix, TargetGroup = var.target_group_arn_suffix }
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions

  tags = var.tags
}

resource "aws_cloudwatch_metric_alarm" "healthy_hosts_low" {
  count = local.create_alarms ? 1 : 0

  alarm_name          = "${var.name}-healthy-hosts-low"
  alarm_description   = "Fewer than ${var.thresholds.min_healthy_tasks} healthy tasks: one more failure is an outage."
  namespace           = "AWS/ApplicationELB"
  metric_name         = "HealthyHostCount"
  statistic           = "Minimum"
  period              = 60
  evaluation_periods  = 2
  comparison_operator = "LessThanThreshold"
  threshold           = var.thresholds.min_healthy_tasks
  treat_missing_data  = "breaching"
  dimensions          = { LoadBalancer = var.alb_arn_suffix, TargetGroup = var.target_group_arn_suffix }
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions

  tags = var.tags
}

# DynamoDB publishes each error metric with its own dimensions (DynamoDB developer guide,
# "DynamoDB Metrics and dimensions"): ReadThrottleEvents/WriteThrottleEvents per TableName;
# ThrottledRequests and SystemErrors only per (TableName, Operation); UserErrors only per
# account and region (no dimension). An alarm on a pair that is never published sees no data
# and, with notBreaching, can never fire; tests/infra and infra/policies check these pairs.
resource "aws_cloudwatch_metric_alarm" "dynamodb_throttles" {
  count = local.create_alarms ? 1 : 0

  alarm_name          = "${var.name}-dynamodb-throttles"
  alarm_description   = "The users table throttled reads or writes in 2 of the last 5 minutes."
  comparison_operator = "GreaterThanThreshold"
  threshold           = 0
  evaluation_periods  = 5
  datapoints_to_alarm = 2
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions

  metric_query {
    id          = "throttles"
    expression  = "FILL(reads, 0) + FILL(writes, 0)"
    label       = "Throttle events"
    return_data = true
  }

  dynamic "metric_query" {
    for_each = { reads = "ReadThrottleEvents", writes = "WriteThrottleEvents" }

    content {
      id = metric_query.key

      metric {
        namespace   = "AWS/DynamoDB"
        metric_name = metric_query.value
        period      = 60
        stat        = "Sum"
        dimensions  = { TableName = var.table_name }
      }
    }
  }

  tags = var.tags
}

resource "aws_cloudwatch_metric_alarm" "dynamodb_system_errors" {
  count = local.create_alarms ? 1 : 0

  alarm_name          = "${var.name}-dynamodb-system-errors"
  alarm_description   = "DynamoDB answered HTTP 500 to ${join("/", var.table_operations)} on the users table in 2 of the last 5 minutes."
  comparison_operator = "GreaterThanThreshold"
  threshold           = 0
  evaluation_periods  = 5
  datapoints_to_alarm = 2
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions

  metric_query {
    id          = "errors"
    expression  = join(" + ", [for i, _ in var.table_operations : "FILL(op${i}, 0)"])
    label       = "System errors"
    return_data = true
  }

  dynamic "metric_query" {
    for_each = var.table_operations

    content {
      id = "op${metric_query.key}"

      metric {
        namespace   = "AWS/DynamoDB"
        metric_name = "SystemErrors"
        period      = 60
        stat        = "Sum"
        dimensions  = { TableName = var.table_name, Operation = metric_query.value }
      }
    }
  }

  tags = var.tags
}

# UserErrors has no table dimension: it counts HTTP 400s of every table of the account in this
# region, so it is a per-region alarm with a threshold, not a per-table zero-tolerance one.
resource "aws_cloudwatch_metric_alarm" "dynamodb_user_errors" {
  count = local.create_alarms ? 1 : 0

  alarm_name          = "${var.name}-dynamodb-user-errors-${var.region}"
  alarm_description   = "More than ${var.thresholds.dynamodb_user_errors_per_minute} DynamoDB client errors (HTTP 400: validation, denied access, conditional checks) per minute in this account and region for 3 of 5 minutes."
  namespace           = "AWS/DynamoDB"
  metric_name         = "UserErrors"
  statistic           = "Sum"
  period              = 60
  evaluation_periods  = 5
  datapoints_to_alarm = 3
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.thresholds.dynamodb_user_errors_per_minute
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions

  tags = var.tags
}

resource "aws_cloudwatch_metric_alarm" "waf_blocked" {
  count = local.create_alarms && var.web_acl_name != null ? 1 : 0

  alarm_name          = "${var.name}-waf-blocked-spike"
  alarm_description   = "WAF blocked more than ${var.thresholds.waf_blocked_per_5m} requests in 5 minutes: an attack or a false positive."
  namespace           = "AWS/WAFV2"
  metric_name         = "BlockedRequests"
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.thresholds.waf_blocked_per_5m
  treat_missing_data  = "notBreaching"
  dimensions          = { WebACL = var.web_acl_name, Region = var.region, Rule = "ALL" }
  alarm_actions       = local.alarm_actions

  tags = var.tags
}

################################################################################
# Event routing
################################################################################

# Findings and failed jobs arrive as EventBridge events, not metrics: each rule forwards its
# matches to the alarm topic (EventBridge user guide, "Amazon SNS as a target").
resource "aws_cloudwatch_event_rule" "this" {
  for_each = local.create ? var.event_rules : {}

  name          = "${var.name}-${each.key}"
  description   = each.value.description
  event_pattern = each.value.event_pattern

  tags = var.tags
}

resource "aws_cloudwatch_event_target" "this" {
  for_each = local.create ? var.event_rules : {}

  rule      = aws_cloudwatch_event_rule.this[each.key].name
  target_id = "alarm-topic"
  arn       = aws_sns_topic.this[0].arn
}

################################################################################
# Dashboard
################################################################################

locals {
  alb = coalesce(var.alb_arn_suffix, "-")
  tg  = coalesce(var.target_group_arn_suffix, "-")

  widgets = [
    {
      title   = "Requests and 5xx"
      metrics = [["AWS/ApplicationELB", "RequestCount", "LoadBalancer", local.alb], [".", "HTTPCode_Target_5XX_Count", ".", "."], [".", "HTTPCode_ELB_5XX_Count", ".", "."]]
      stat    = "Sum"
    },
    {
      title   = "Target response time p50/p99"
      metrics = [["AWS/ApplicationELB", "TargetResponseTime", "LoadBalancer", local.alb, "TargetGroup", local.tg, { stat = "p50" }], ["...", { stat = "p99" }]]
      stat    = "p99"
    },
    {
      title   = "Healthy / unhealthy tasks"
      metrics = [["AWS/ApplicationELB", "HealthyHostCount", "LoadBalancer", local.alb, "TargetGroup", local.tg], [".", "UnHealthyHostCount", ".", ".", ".", "."]]
      stat    = "Minimum"
    },
    {
      title   = "ECS CPU and memory"
      metrics = [["AWS/ECS", "CPUUtilization", "ClusterName", coalesce(var.cluster_name, "-"), "ServiceName", coalesce(var.service_name, "-")], [".", "MemoryUtilization", ".", ".", ".", "."]]
      stat    = "Average"
    },
    {
      title   = "DynamoDB latency and errors"
      metrics = [["AWS/DynamoDB", "SuccessfulRequestLatency", "TableName", coalesce(var.table_name, "-"), "Operation", "GetItem"], ["...", "PutItem"], [".", "ReadThrottleEvents", "TableName", coalesce(var.table_name, "-")], [".", "WriteThrottleEvents", ".", "."], [".", "SystemErrors", "TableName", coalesce(var.table_name, "-"), "Operation", "GetItem"], ["...", "PutItem"], [".", "UserErrors"]]
      stat    = "Average"
    },
    {
      title   = "WAF allowed / blocked"
      metrics = [["AWS/WAFV2", "AllowedRequests", "WebACL", coalesce(var.web_acl_name, "-"), "Region", var.region, "Rule", "ALL"], [".", "BlockedRequests", ".", ".", ".", ".", ".", "."]]
      stat    = "Sum"
    },
  ]
}

resource "aws_cloudwatch_dashboard" "this" {
  count = local.create_alarms ? 1 : 0

  dashboard_name = "${var.name}-${var.region}"
  dashboard_body = jsonencode({
    widgets = [for i, w in local.widgets : {
      type   = "metric"
      x      = (i % 2) * 12
      y      = floor(i / 2) * 6
      width  = 12
      height = 6
      properties = {
        title   = w.title
        region  = var.region
        metrics = w.metrics
        stat    = w.stat
        period  = 60
        view    = "timeSeries"
      }
    }]
  })
}
