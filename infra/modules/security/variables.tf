variable "create" {
  description = "Controls if any protective service is configured. Default `true`."
  type        = bool
  default     = true
  nullable    = false
}

variable "region" {
  description = "Home region of the trail and the Security Hub standards. Required."
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
  description = "Name prefix of every resource. Default `user-api`."
  type        = string
  default     = "user-api"
}

################################################################################
# GuardDuty
################################################################################

variable "enable_guardduty" {
  description = "GuardDuty detector (threat detection on CloudTrail, VPC flow and DNS logs). Default `true`."
  type        = bool
  default     = true
  nullable    = false
}

variable "enable_guardduty_runtime_monitoring" {
  description = "GuardDuty Runtime Monitoring with the agent managed on ECS Fargate. Default `true`."
  type        = bool
  default     = true
  nullable    = false
}

################################################################################
# CloudTrail
################################################################################

variable "enable_cloudtrail" {
  description = "Multi-region CloudTrail trail with log file validation, KMS and a CloudWatch Logs copy. Default `true`."
  type        = bool
  default     = true
  nullable    = false
}

variable "cloudtrail_bucket_name" {
  description = "Name of the S3 bucket created for CloudTrail (and AWS Config) logs. Required when `enable_cloudtrail` or `enable_config`."
  type        = string
  default     = null
}

variable "cloudtrail_kms_key_arn" {
  description = "Customer-managed KMS key of the trail, its bucket and the Config deliveries. Required when `enable_cloudtrail`."
  type        = string
  default     = null
}

variable "log_kms_key_arn" {
  description = "Customer-managed KMS key of the CloudTrail log group. Required when `enable_cloudtrail`."
  type        = string
  default     = null
}

variable "log_retention_in_days" {
  description = "Days the CloudTrail log group keeps events. Default `365`."
  type        = number
  default     = 365
}

variable "cloudtrail_expiration_days" {
  description = "Days trail files stay in S3 (moved to Glacier after 90). Default `2555` (7 years)."
  type        = number
  default     = 2555
}

variable "cloudtrail_data_event_table_arns" {
  description = "DynamoDB tables whose item-level API calls are recorded as data events (who read or wrote sensitive data). Default `[]`."
  type        = list(string)
  default     = []
  nullable    = false
}

variable "force_destroy_buckets" {
  description = "Let `destroy` delete a non-empty trail bucket. Default `false`."
  type        = bool
  default     = false
  nullable    = false
}

################################################################################
# Security Hub
################################################################################

variable "enable_securityhub" {
  description = "Security Hub with the AWS Foundational Security Best Practices standard. Default `true`."
  type        = bool
  default     = true
  nullable    = false
}

################################################################################
# AWS Config
################################################################################

variable "enable_config" {
  description = "AWS Config recorder (all resources, global ones included), delivery to the trail bucket and managed rules for this stack. Default `true`."
  type        = bool
  default     = true
  nullable    = false
}

variable "config_include_global_resource_types" {
  description = "Record global resources (IAM) in this region. Keep `true` in exactly one region per account (the home region), `false` elsewhere, or every region records IAM again. Default `true`."
  type        = bool
  default     = true
  nullable    = false
}

################################################################################
# IAM Access Analyzer
################################################################################

variable "enable_access_analyzer" {
  description = "Account-level IAM Access Analyzer (flags resources shared outside the account). Default `true`."
  type        = bool
  default     = true
  nullable    = false
}
