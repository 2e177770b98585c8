variable "region" {
  description = "Region of the state bucket, key and lock table. Default `us-east-1`."
  type        = string
  default     = "us-east-1"
}

variable "dr_region" {
  description = "Disaster-recovery region: the state replica bucket lives there. Default `us-west-2`."
  type        = string
  default     = "us-west-2"
}

variable "replicate_state" {
  description = "Replicate every state object to a KMS-encrypted bucket in `dr_region`. Default `true`."
  type        = bool
  default     = true
  nullable    = false
}

variable "tags" {
  description = "Tags on every resource. Default `{}`."
  type        = map(string)
  default     = {}
}

variable "name" {
  description = "Name prefix: bucket `<name>-tfstate-<account>-<region>`, key alias `alias/<name>-tfstate`, table `<name>-tfstate-lock`. Default `user-api`."
  type        = string
  default     = "user-api"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{2,19}$", var.name))
    error_message = "name must be 3-20 lower-case letters, digits or '-', starting with a letter."
  }
}

variable "noncurrent_version_days" {
  description = "Days old state versions are kept (the undo history of every apply). Default `365`."
  type        = number
  default     = 365
}

variable "create_lock_table" {
  description = "DynamoDB lock table for engines older than 1.10 (newer ones lock with `use_lockfile`). Default `true`."
  type        = bool
  default     = true
  nullable    = false
}

variable "force_destroy" {
  description = "Let destroy delete a non-empty state bucket. Default `false`."
  type        = bool
  default     = false
  nullable    = false
}
