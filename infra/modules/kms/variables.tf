variable "create" {
  description = "Controls if the key and its alias are created. Default `true`."
  type        = bool
  default     = true
  nullable    = false
}

variable "region" {
  description = "Region the key lives in (used in service principal names). Required."
  type        = string
  default     = null

  validation {
    condition     = var.region != null
    error_message = "region is required."
  }
}

variable "tags" {
  description = "Tags added to the key. Default `{}`."
  type        = map(string)
  default     = {}
}

################################################################################
# Key
################################################################################

variable "description" {
  description = "What the key protects (shown in the console). Default `\"\"`."
  type        = string
  default     = ""
}

variable "alias_name" {
  description = "Alias without the `alias/` prefix, e.g. `user-api-dynamodb`. Required."
  type        = string
  default     = null

  validation {
    condition     = var.alias_name != null && can(regex("^[a-zA-Z0-9/_-]+$", var.alias_name))
    error_message = "alias_name is required and may hold only letters, digits, '/', '_' and '-'."
  }
}

variable "deletion_window_in_days" {
  description = "Days a scheduled deletion waits (7-30). Default `30`: the longest window to undo a mistake."
  type        = number
  default     = 30

  validation {
    condition     = var.deletion_window_in_days >= 7 && var.deletion_window_in_days <= 30
    error_message = "deletion_window_in_days must be between 7 and 30."
  }
}

variable "enable_key_rotation" {
  description = "Yearly automatic rotation of the key material. Default `true`; must stay `true` for this project."
  type        = bool
  default     = true
  nullable    = false

  validation {
    condition     = var.enable_key_rotation
    error_message = "Customer-managed keys must rotate (enable_key_rotation = true)."
  }
}

################################################################################
# Key policy
################################################################################

variable "service_principals" {
  description = "AWS service principals (e.g. `logs.us-east-1.amazonaws.com`) allowed to use the key for encryption, each limited to this account by `aws:SourceAccount`. Default `[]`."
  type        = list(string)
  default     = []
  nullable    = false
}

variable "service_extra_actions" {
  description = "Extra KMS actions for `service_principals`, e.g. `kms:CreateGrant` for Fargate ephemeral storage. Default `[]`."
  type        = list(string)
  default     = []
  nullable    = false

  validation {
    condition     = alltrue([for a in var.service_extra_actions : can(regex("^kms:[A-Za-z]+$", a))])
    error_message = "service_extra_actions must be named kms:<Action> entries."
  }
}

variable "via_services" {
  description = "Services (e.g. `dynamodb.us-east-1.amazonaws.com`) through which IAM principals of this account may use the key (`kms:ViaService`). Default `[]`."
  type        = list(string)
  default     = []
  nullable    = false
}

variable "log_group_arn_pattern" {
  description = "When set, CloudWatch Logs may use the key only for log groups matching this ARN pattern (`kms:EncryptionContext:aws:logs:arn`). Default `null`."
  type        = string
  default     = null
}

variable "key_administrator_arns" {
  description = "IAM principals that administer the key (no cryptographic use). Default `[]`: the account root, which delegates to IAM policies."
  type        = list(string)
  default     = []
  nullable    = false
}

variable "key_user_arns" {
  description = "IAM principals that may use the key directly (Encrypt/Decrypt/GenerateDataKey). Default `[]`: use goes through `via_services` only."
  type        = list(string)
  default     = []
  nullable    = false
}

variable "service_statements" {
  description = "Extra statements for AWS service principals, copied from the service's documentation (e.g. Fargate ephemeral storage). Default `[]`."
  type = list(object({
    sid                = string
    service_principals = list(string)
    actions            = list(string)
    conditions = list(object({
      test     = string
      variable = string
      values   = list(string)
    }))
  }))
  default  = []
  nullable = false

  validation {
    condition     = alltrue([for s in var.service_statements : alltrue([for a in s.actions : can(regex("^kms:[A-Za-z]+$", a))])])
    error_message = "service_statements actions must be named kms:<Action> entries without wildcards."
  }
}
