variable "create" {
  description = "Controls if the alarm topic, alarms and dashboard are created. Default `true`."
  type        = bool
  default     = true
  nullable    = false
}

variable "region" {
  description = "Region the dashboard widgets read metrics from. Required."
  type        = string
  default     = null

  validation {
    condition     = var.region != null
    error_message = "region is required."
  }
}

variable "tags" {
  description = "Tags added to every resource. Default `{}`."
  type        = map(string)
  default     = {}
}

variable "name" {
  description = "Name prefix of the topic, alarms and dashboard. Default `user-api`."
  type        = string
  default     = "user-api"
}

################################################################################
# Alarm topic
################################################################################

variable "sns_kms_key_arn" {
  description = "Customer-managed KMS key of the alarm topic (its policy must let `cloudwatch.amazonaws.com` use it). Required."
  type        = string
  default     = null

  validation {
    condition     = var.sns_kms_key_arn != null
    error_message = "sns_kms_key_arn is required: the alarm topic is encrypted with a CMK."
  }
}

variable "alarm_emails" {
  description = "E-mail addresses subscribed to the alarm topic (each must confirm). Default `[]`."
  type        = list(string)
  default     = []
  nullable    = false
}

################################################################################
# Alarms
################################################################################

variable "alb_arn_suffix" {
  description = "ARN suffix of the load balancer (`LoadBalancer` dimension). Required."
  type        = string
  default     = null
}

variable "target_group_arn_suffix" {
  description = "ARN suffix of the target group (`TargetGroup` dimension). Required."
  type        = string
  default     = null
}

variable "table_name" {
  description = "DynamoDB table watched for throttles and system errors. Required."
  type        = string
  default     = null
}

variable "web_acl_name" {
  description = "WAF web ACL watched for blocked-request spikes; `null` skips that alarm. Default `null`."
  type        = string
  default     = null
}

variable "cluster_name" {
  description = "ECS cluster of the service (dashboard). Required."
  type        = string
  default     = null
}

variable "service_name" {
  description = "ECS service (dashboard). Required."
  type        = string
  default     = null
}

variable "thresholds" {
  description = "Alarm thresholds: `error_rate_percent` 5xx share of requests (default `1`), `p99_latency_seconds` (default `1`), `waf_blocked_per_5m` (default `500`), `min_healthy_tasks` (default `2`), `dynamodb_user_errors_per_minute` account-wide DynamoDB HTTP 400s (default `10`)."
  type = object({
    error_rate_percent              = optional(number, 1)
    p99_latency_seconds             = optional(number, 1)
    waf_blocked_per_5m              = optional(number, 500)
    min_healthy_tasks               = optional(number, 2)
    dynamodb_user_errors_per_minute = optional(number, 10)
  })
  default  = {}
  nullable = false
}

variable "create_alarms" {
  description = "Create the service alarms and dashboard (the account baseline uses this module for its event routing only). Default `true`."
  type        = bool
  default     = true
  nullable    = false
}

variable "table_operations" {
  description = "DynamoDB operations the service calls; SystemErrors is published per (TableName, Operation), so the alarm sums these. Default `[\"GetItem\", \"PutItem\", \"Scan\"]`."
  type        = list(string)
  default     = ["GetItem", "PutItem", "Scan"]
  nullable    = false

  validation {
    condition     = length(var.table_operations) > 0 && length(var.table_operations) <= 9
    error_message = "table_operations must list 1-9 operations (an alarm holds at most 10 metrics)."
  }
}

variable "event_rules" {
  description = "EventBridge rules routed to the alarm topic: map of rule name suffix to `{ description, event_pattern }` (JSON). Default `{}`."
  type = map(object({
    description   = string
    event_pattern = string
  }))
  default  = {}
  nullable = false
}

variable "topic_publisher_services" {
  description = "Service principals (besides CloudWatch and EventBridge) allowed to publish to the topic from this account, e.g. `backup.amazonaws.com` for vault notifications. Default `[]`."
  type        = list(string)
  default     = []
  nullable    = false
}
