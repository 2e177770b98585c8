variable "create" {
  description = "Controls if the bucket and its companions are created. Default `true`."
  type        = bool
  default     = true
  nullable    = false
}

variable "tags" {
  description = "Tags added to the bucket. Default `{}`."
  type        = map(string)
  default     = {}
}

################################################################################
# Bucket
################################################################################

variable "bucket" {
  description = "Globally unique bucket name. Required."
  type        = string
  default     = null

  validation {
    condition     = var.bucket != null && can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.bucket))
    error_message = "bucket is required and must be a valid S3 bucket name (3-63 lower-case letters, digits, '.', '-')."
  }
}

variable "force_destroy" {
  description = "Let `destroy` delete a non-empty bucket. Default `false`."
  type        = bool
  default     = false
  nullable    = false
}

variable "kms_key_arn" {
  description = "Customer-managed key for SSE-KMS (with a bucket key). Default `null`: SSE-S3, for writers that cannot use KMS (ALB access logs)."
  type        = string
  default     = null
}

variable "transition" {
  description = "Move current objects to a colder class after `days` (`{ days, storage_class }`). Default `null` (no transition)."
  type = object({
    days          = number
    storage_class = string
  })
  default = null
}

variable "expiration_days" {
  description = "Delete current objects after this many days. Default `null` (keep)."
  type        = number
  default     = null
}

variable "noncurrent_version_expiration_days" {
  description = "Days a replaced or deleted object version is kept. Default `90`."
  type        = number
  default     = 90
  nullable    = false
}

################################################################################
# Bucket policy
################################################################################

variable "policy_documents" {
  description = "IAM policy JSON documents merged into the bucket policy (writers such as log delivery); the module always adds a deny of plain-HTTP requests. Default `[]`."
  type        = list(string)
  default     = []
  nullable    = false
}
