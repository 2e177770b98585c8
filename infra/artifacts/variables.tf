variable "region" {
  description = "Region of the registry the images are pushed to. Default `us-east-1`."
  type        = string
  default     = "us-east-1"
}

variable "dr_region" {
  description = "Region the images are replicated to. Default `us-west-2`."
  type        = string
  default     = "us-west-2"
}

variable "enable_replication" {
  description = "Replicate every image to `dr_region` (the DR environment pulls from there). Only a stand-in without ECR replication (moto) needs `false`. Default `true`."
  type        = bool
  default     = true
  nullable    = false
}

variable "tags" {
  description = "Extra tags on every resource. Default `{}`."
  type        = map(string)
  default     = {}
}

variable "name" {
  description = "Repository prefix (`<name>/<image>`). Default `user-api`."
  type        = string
  default     = "user-api"
}

variable "kms_key_administrator_arns" {
  description = "IAM roles that administer (not use) the ECR keys. Default `[]`: the account root, i.e. whoever IAM allows."
  type        = list(string)
  default     = []
  nullable    = false
}

################################################################################
# Repositories
################################################################################

variable "repositories" {
  description = "One repository per image. Default `[\"app\", \"tls-proxy\"]`."
  type        = list(string)
  default     = ["app", "tls-proxy"]
  nullable    = false
}

variable "keep_tagged_days" {
  description = "Days a tagged image is kept (rollback window; lifecycle rules cannot see running task definitions). Default `365`."
  type        = number
  default     = 365
}

variable "create_repository_creation_template" {
  description = "Create the replica repositories in the DR region from a template (immutable tags, the DR CMK, lifecycle). `false` lets ECR create them with its defaults (AES-256, mutable tags). Default `true`."
  type        = bool
  default     = true
  nullable    = false
}
