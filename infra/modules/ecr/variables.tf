variable "create" {
  description = "Controls if the repositories are created. Default `true`."
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
  description = "Repository prefix: repositories are `<name>/<repository>`. Default `user-api`."
  type        = string
  default     = "user-api"
}

################################################################################
# Repositories
################################################################################

variable "repositories" {
  description = "One repository per image. Default `[\"app\", \"tls-proxy\"]`."
  type        = list(string)
  default     = ["app", "tls-proxy"]
  nullable    = false

  validation {
    condition     = length(var.repositories) > 0
    error_message = "At least one repository."
  }
}

variable "kms_key_arn" {
  description = "Customer-managed key of the repositories. Required."
  type        = string
  default     = null

  validation {
    condition     = var.kms_key_arn != null
    error_message = "kms_key_arn is required."
  }
}

variable "keep_tagged_days" {
  description = "Days a tagged image is kept; far beyond any rollback window (ECR lifecycle rules cannot see which task definition still uses an image). Default `365`."
  type        = number
  default     = 365

  validation {
    condition     = var.keep_tagged_days >= 90
    error_message = "keep_tagged_days must be at least 90."
  }
}

################################################################################
# Replication to the DR region
################################################################################

variable "replication_region" {
  description = "Region the images are replicated to (the DR region). Default `null` (no replication)."
  type        = string
  default     = null
}

variable "replication_kms_key_arn" {
  description = "Customer-managed key in `replication_region` for the replica repositories. Required with `replication_region`."
  type        = string
  default     = null
}

variable "create_repository_creation_template" {
  description = "Create the replica repositories in the DR region from a template (immutable tags, the DR CMK, lifecycle). `false` lets ECR create them with its defaults (AES-256, mutable tags). Default `true`."
  type        = bool
  default     = true
  nullable    = false
}
