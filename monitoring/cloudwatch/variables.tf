################################################################################
# Module
################################################################################

variable "create" {
  description = "Whether to create any resource. Default `true`."
  type        = bool
  default     = true
  nullable    = false
}

variable "name" {
  description = "Prefix of every alarm and metric filter name, e.g. `middleware-prod`. Default `middleware`."
  type        = string
  default     = "middleware"

  validation {
    condition     = can(regex("^[A-Za-z0-9_.-]{1,64}$", var.name))
    error_message = "name must be 1-64 characters of letters, digits, '_', '.' or '-'."
  }
}

variable "tags" {
  description = "Tags added to every alarm. Default `{}`."
  type        = map(string)
  default     = {}
}

################################################################################
# Inputs from section 1 (infra/): outputs of the environment root, never copies
################################################################################

variable "log_group_name" {
  description = "Name of the CloudWatch Logs group the service writes its JSON transaction log to (infra output of the service module)."
  type        = string

  validation {
    condition     = can(regex("^[.\\-_/#A-Za-z0-9]{1,512}$", var.log_group_name))
    error_message = "log_group_name must be a valid CloudWatch Logs group name."
  }
}

variable "alb_arn_suffix" {
  description = "ARN suffix of the public ALB (`app/<name>/<id>`), the LoadBalancer dimension of AWS/ApplicationELB metrics."
  type        = string

  validation {
    condition     = can(regex("^app/[^/]+/[0-9a-f]+$", var.alb_arn_suffix))
    error_message = "alb_arn_suffix must look like app/<name>/<hex id>."
  }
}

variable "table_name" {
  description = "Name of the DynamoDB table the service uses."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_.-]{3,255}$", var.table_name))
    error_message = "table_name must be 3-255 characters of letters, digits, '_', '.' or '-'."
  }
}

variable "page_sns_topic_arn" {
  description = "ARN of the (KMS-encrypted) SNS topic that pages the on-call, e.g. subscribed by PagerDuty."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:sns:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_-]+$", var.page_sns_topic_arn))
    error_message = "page_sns_topic_arn must be an SNS topic ARN."
  }
}

variable "ticket_sns_topic_arn" {
  description = "ARN of the SNS topic that opens tickets (business hours). Default `null`: ticket alarms still change state (console, dashboards) but notify nobody; they never fall back to the pager topic."
  type        = string
  default     = null

  validation {
    condition     = var.ticket_sns_topic_arn == null || can(regex("^arn:aws[a-z-]*:sns:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_-]+$", var.ticket_sns_topic_arn))
    error_message = "ticket_sns_topic_arn must be null or an SNS topic ARN."
  }
}

################################################################################
# Log-derived metrics
################################################################################

variable "metric_namespace" {
  description = "CloudWatch namespace of the metrics derived from the transaction log. Default `Middleware`."
  type        = string
  default     = "Middleware"

  validation {
    condition     = length(var.metric_namespace) > 0 && !startswith(var.metric_namespace, "AWS/")
    error_message = "metric_namespace must be non-empty and must not start with AWS/."
  }
}

variable "dependencies" {
  description = "Names of the dependencies the service logs in `dependency` (postgres, dynamodb, each third-party API). One error-rate alarm each. Default `[\"postgres\", \"dynamodb\"]`."
  type        = list(string)
  default     = ["postgres", "dynamodb"]

  validation {
    condition     = alltrue([for d in var.dependencies : can(regex("^[a-z0-9][a-z0-9-]{0,62}$", d))])
    error_message = "Each dependency name must be lowercase letters, digits and '-' (at most 63)."
  }
}

################################################################################
# SLOs and thresholds
################################################################################

variable "availability_slo" {
  description = "Availability objective in percent of requests answered without 5xx at the ALB. Default `99.9`."
  type        = number
  default     = 99.9

  validation {
    condition     = var.availability_slo > 90 && var.availability_slo < 100
    error_message = "availability_slo must be between 90 and 100 (exclusive)."
  }
}

variable "latency_slo" {
  description = "Latency objective in percent of requests faster than `latency_slo_threshold_ms`. Default `99`."
  type        = number
  default     = 99

  validation {
    condition     = var.latency_slo > 90 && var.latency_slo < 100
    error_message = "latency_slo must be between 90 and 100 (exclusive)."
  }
}

variable "latency_slo_threshold_ms" {
  description = "A request slower than this many milliseconds is bad for the latency SLO (logged as `duration_ms`). Default `500`."
  type        = number
  default     = 500

  validation {
    condition     = var.latency_slo_threshold_ms > 0
    error_message = "latency_slo_threshold_ms must be positive."
  }
}

variable "latency_p99_threshold_ms" {
  description = "Ticket when the service's own p99 (`duration_ms`) stays above this for 15 minutes. Default `1000`."
  type        = number
  default     = 1000

  validation {
    condition     = var.latency_p99_threshold_ms > 0
    error_message = "latency_p99_threshold_ms must be positive."
  }
}

variable "dependency_error_rate_threshold" {
  description = "Ticket when more than this fraction of calls to a dependency fail or time out for 10 minutes. Default `0.05`."
  type        = number
  default     = 0.05

  validation {
    condition     = var.dependency_error_rate_threshold > 0 && var.dependency_error_rate_threshold < 1
    error_message = "dependency_error_rate_threshold must be between 0 and 1 (exclusive)."
  }
}

variable "dynamodb_latency_average_threshold_ms" {
  description = "Ticket when the table's GetItem/PutItem average SuccessfulRequestLatency stays above this for 15 minutes. An average, because the metric publishes Minimum, Maximum, Average and SampleCount only (no percentiles). Default `25`."
  type        = number
  default     = 25

  validation {
    condition     = var.dynamodb_latency_average_threshold_ms > 0
    error_message = "dynamodb_latency_average_threshold_ms must be positive."
  }
}

variable "dynamodb_throttle_ratio_threshold" {
  description = "Ticket when more than this share of an operation's requests (GetItem, PutItem) is throttled for 10 minutes. Default `0.01`."
  type        = number
  default     = 0.01

  validation {
    condition     = var.dynamodb_throttle_ratio_threshold > 0 && var.dynamodb_throttle_ratio_threshold < 1
    error_message = "dynamodb_throttle_ratio_threshold must be between 0 and 1 (exclusive)."
  }
}

variable "enable_dynamodb_contributor_insights" {
  description = "Enable CloudWatch Contributor Insights on the table (most accessed and most throttled keys). Default `true`."
  type        = bool
  default     = true
  nullable    = false
}

variable "dynamodb_throttled_keys_rule_name" {
  description = "Name of the table's `DynamoDBContributorInsights-PKT-<table>-<timestamp>` rule (from `aws dynamodb describe-contributor-insights`; DynamoDB adds a creation timestamp, so it cannot be derived). Default `null`: no hot-key alarm."
  type        = string
  default     = null

  validation {
    condition     = var.dynamodb_throttled_keys_rule_name == null || can(regex("^DynamoDBContributorInsights-PKT-", var.dynamodb_throttled_keys_rule_name))
    error_message = "dynamodb_throttled_keys_rule_name must be a DynamoDBContributorInsights-PKT-... rule name."
  }
}

variable "hot_key_throttles_per_minute" {
  description = "Ticket when the most throttled partition key is throttled more than this many times a minute for 5 minutes. Default `10`."
  type        = number
  default     = 10

  validation {
    condition     = var.hot_key_throttles_per_minute > 0
    error_message = "hot_key_throttles_per_minute must be positive."
  }
}

################################################################################
# Aurora PostgreSQL events
################################################################################

variable "db_cluster_identifier" {
  description = "Aurora cluster identifier; RDS events (EventBridge) whose SourceIdentifier starts with it are routed. Default `null`: no RDS event rules."
  type        = string
  default     = null

  validation {
    condition     = var.db_cluster_identifier == null || can(regex("^[a-z][a-z0-9-]{0,62}$", var.db_cluster_identifier))
    error_message = "db_cluster_identifier must be a valid RDS identifier (lower case, digits, hyphens)."
  }
}
