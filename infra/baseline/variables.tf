variable "region" {
  description = "Region this baseline is applied to (apply once per region the account uses). Default `us-east-1`."
  type        = string
  default     = "us-east-1"

  validation {
    condition     = can(regex("^[a-z]{2}(-gov)?-[a-z]+-[0-9]$", var.region))
    error_message = "region must be an AWS region name such as us-east-1."
  }
}

variable "tags" {
  description = "Extra tags on every resource. Default `{}`."
  type        = map(string)
  default     = {}
}

variable "name" {
  description = "Name prefix of every resource. Default `user-api`."
  type        = string
  default     = "user-api"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{2,19}$", var.name))
    error_message = "name must be 3-20 lower-case letters, digits or '-', starting with a letter."
  }
}

variable "kms_key_administrator_arns" {
  description = "IAM roles that administer (not use) the baseline keys. Default `[]`: the account root, i.e. whoever IAM allows."
  type        = list(string)
  default     = []
  nullable    = false
}

################################################################################
# Protective services
################################################################################

variable "enable_guardduty" {
  description = "GuardDuty detector of this region. `false` when an Organization / Control Tower baseline already owns it. Default `true`."
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

variable "enable_cloudtrail" {
  description = "The account's multi-region trail. `true` in the home region only. Default `true`."
  type        = bool
  default     = true
  nullable    = false
}

variable "cloudtrail_data_event_table_arns" {
  description = "DynamoDB tables whose item-level calls the trail records (`tofu -chdir=infra/environments/prod output -raw table_arn`). Default `[]`."
  type        = list(string)
  default     = []
  nullable    = false
}

variable "enable_securityhub" {
  description = "Security Hub with the AWS Foundational Security Best Practices standard. Default `true`."
  type        = bool
  default     = true
  nullable    = false
}

variable "enable_config" {
  description = "AWS Config recorder, delivery channel and managed rules. Default `true`."
  type        = bool
  default     = true
  nullable    = false
}

variable "config_include_global_resource_types" {
  description = "Record IAM (global) resources: `true` in the home region only. Default `true`."
  type        = bool
  default     = true
  nullable    = false
}

variable "enable_access_analyzer" {
  description = "Account-level IAM Access Analyzer of this region. Default `true`."
  type        = bool
  default     = true
  nullable    = false
}

################################################################################
# Finding routing
################################################################################

variable "alarm_emails" {
  description = "E-mail addresses subscribed to the findings topic. Default `[]`."
  type        = list(string)
  default     = []
  nullable    = false
}

variable "log_retention_in_days" {
  description = "Retention of the CloudTrail log group. Default `365`."
  type        = number
  default     = 365
}

variable "force_destroy" {
  description = "Let destroy empty the audit bucket. Default `false`; `true` only for throw-away accounts."
  type        = bool
  default     = false
  nullable    = false
}
