variable "create" {
  description = "Controls if the table and its backups are created. Default `true`."
  type        = bool
  default     = true
  nullable    = false
}

variable "tags" {
  description = "Tags added to every resource. Default `{}`."
  type        = map(string)
  default     = {}
}

variable "name" {
  description = "Name of the table (also prefixes the backup resources). Default `users`."
  type        = string
  default     = "users"

  validation {
    condition     = can(regex("^[a-zA-Z0-9_.-]{3,255}$", var.name))
    error_message = "name must be a valid DynamoDB table name (3-255 of a-z A-Z 0-9 _ . -)."
  }
}

################################################################################
# Table
################################################################################

variable "hash_key" {
  description = "Partition key attribute (string). Default `user_id`."
  type        = string
  default     = "user_id"
}

variable "kms_key_arn" {
  description = "Customer-managed KMS key of the table (SSE). Required."
  type        = string
  default     = null

  validation {
    condition     = var.kms_key_arn != null
    error_message = "kms_key_arn is required: the table is encrypted with a CMK."
  }
}

variable "point_in_time_recovery_enabled" {
  description = "Continuous backups (restore to any second of the last 35 days). Default `true`; must stay on."
  type        = bool
  default     = true
  nullable    = false

  validation {
    condition     = var.point_in_time_recovery_enabled
    error_message = "Point-in-time recovery must stay enabled for the users table."
  }
}

variable "deletion_protection_enabled" {
  description = "Table deletion protection. Default `true`; switch off only to destroy the stack."
  type        = bool
  default     = true
  nullable    = false
}

variable "ttl_attribute_name" {
  description = "Attribute holding an expiry epoch; `null` disables TTL. Default `null`."
  type        = string
  default     = null
}

variable "replica_regions" {
  description = "Global-table replicas (opt-in): each `region_name` with the CMK `kms_key_arn` of that region. Default `[]`."
  type = list(object({
    region_name = string
    kms_key_arn = string
  }))
  default  = []
  nullable = false
}

variable "create_table_resource_policy" {
  description = "Attach a resource policy that denies any request not sent over TLS. Default `true`."
  type        = bool
  default     = true
  nullable    = false
}

################################################################################
# Backup
################################################################################

variable "create_backup" {
  description = "Create the AWS Backup vault and plan. Default `true`."
  type        = bool
  default     = true
  nullable    = false
}

variable "create_backup_selection" {
  description = "Assign the table to the backup plan (AWS Backup selection and its role). Default `true`."
  type        = bool
  default     = true
  nullable    = false
}

variable "backup_kms_key_arn" {
  description = "Customer-managed KMS key of the primary backup vault. Required when `create_backup`."
  type        = string
  default     = null
}

variable "backup_schedule" {
  description = "Cron schedule of the daily backup (UTC). Default `cron(0 5 * * ? *)`."
  type        = string
  default     = "cron(0 5 * * ? *)"
}

variable "backup_retention_days" {
  description = "Days recovery points are kept, in both vaults. Default `35`."
  type        = number
  default     = 35

  validation {
    condition     = var.backup_retention_days >= 7
    error_message = "backup_retention_days must be at least 7."
  }
}

variable "create_cross_region_copy" {
  description = "Copy each recovery point to a vault in the disaster-recovery region (provider `aws.dr`). Default `true`."
  type        = bool
  default     = true
  nullable    = false
}

variable "dr_backup_kms_key_arn" {
  description = "Customer-managed KMS key (in the DR region) of the DR backup vault. Required when `create_cross_region_copy`."
  type        = string
  default     = null
}

variable "force_destroy_vaults" {
  description = "Let `destroy` delete vaults that still hold recovery points. Default `false`."
  type        = bool
  default     = false
  nullable    = false
}

variable "create_table" {
  description = "Create and own the table. `false` reads an existing table called `name` (DR region: the global-table replica or a table restored from the DR vault). Default `true`."
  type        = bool
  default     = true
  nullable    = false
}

variable "vault_lock" {
  description = "Backup Vault Lock of both vaults: `min_retention_days`, `max_retention_days`, and `changeable_for_days` (null = governance mode; a number = compliance mode after that grace time). Default governance mode, 7 to 400 days. `null` disables the lock."
  type = object({
    min_retention_days  = number
    max_retention_days  = number
    changeable_for_days = optional(number)
  })
  default = { min_retention_days = 7, max_retention_days = 400 }
}

variable "create_restore_testing" {
  description = "AWS Backup restore testing of the table (restores the latest recovery point weekly and deletes it). Default `true`."
  type        = bool
  default     = true
  nullable    = false
}

variable "restore_testing_schedule" {
  description = "When restore tests run (cron in UTC). Default `cron(0 5 ? * SUN *)`."
  type        = string
  default     = "cron(0 5 ? * SUN *)"
  nullable    = false
}
