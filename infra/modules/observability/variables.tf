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
  description = "Alarm thresholds: `error_rate_percent` 5xx share of requests (default `1`), `p99_latency_seconds` (default `1`), `waf_blocked_per_5m` (default `500`), `min_healthy_tasks` (default `2`)."
  type = object({
    error_rate_percent  = optional(number, 1)
    p99_latency_seconds = optional(number, 1)
    waf_blocked_per_5m  = optional(number, 500)
    min_healthy_tasks   = optional(number, 2)
  })
  default  = {}
  nullable = false
}
