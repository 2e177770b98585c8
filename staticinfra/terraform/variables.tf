################################################################################
# General
################################################################################

variable "create" {
  description = "Whether to create the snapshot policy and its role. Default `true`."
  type        = bool
  default     = true
  nullable    = false
}

variable "tags" {
  description = "Tags for the policy and the IAM role (not for the snapshots). Default `{}`."
  type        = map(string)
  default     = {}
  nullable    = false
}

variable "name" {
  description = "Name of the policy's IAM role and description prefix. Default `ebs-host-example`."
  type        = string
  default     = "ebs-host-example"
  nullable    = false

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,52}$", var.name))
    error_message = "name must be 1-52 letters, digits, _ or - (it prefixes an IAM role name and the DLM description)."
  }
}

################################################################################
# Lifecycle policy
################################################################################

variable "target_tags" {
  description = "Volumes to snapshot: every volume carrying all these tags. Default: the role's `ManagedBy = ansible-ebs_host`."
  type        = map(string)
  default     = { ManagedBy = "ansible-ebs_host" }
  nullable    = false

  validation {
    condition     = length(var.target_tags) > 0
    error_message = "target_tags must not be empty: an empty target would match nothing and snapshot nothing."
  }
}

variable "interval_hours" {
  description = "Hours between snapshots: one of `1`, `2`, `3`, `4`, `6`, `8`, `12`, `24`. Default `24`."
  type        = number
  default     = 24
  nullable    = false

  validation {
    condition     = contains([1, 2, 3, 4, 6, 8, 12, 24], var.interval_hours)
    error_message = "interval_hours must be one of 1, 2, 3, 4, 6, 8, 12, 24 (what DLM accepts)."
  }
}

variable "start_time" {
  description = "UTC time (hh:mm) of the first snapshot of the day. Default `03:00`."
  type        = string
  default     = "03:00"
  nullable    = false

  validation {
    condition     = can(regex("^([01][0-9]|2[0-3]):[0-5][0-9]$", var.start_time))
    error_message = "start_time must be hh:mm in 24-hour UTC, e.g. 03:00."
  }
}

variable "retain_count" {
  description = "Snapshots kept per volume (1-1000); older ones are deleted. Default `14`."
  type        = number
  default     = 14
  nullable    = false

  validation {
    condition     = var.retain_count >= 1 && var.retain_count <= 1000 && floor(var.retain_count) == var.retain_count
    error_message = "retain_count must be a whole number from 1 to 1000."
  }
}
