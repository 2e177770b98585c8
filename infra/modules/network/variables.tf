variable "create" {
  description = "Controls if the network is created. Default `true`."
  type        = bool
  default     = true
  nullable    = false
}

variable "region" {
  description = "Region of the VPC; names the interface endpoint services. Required."
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
# VPC
################################################################################

variable "cidr" {
  description = "IPv4 CIDR of the VPC; /16 to /20 so each of the 6 subnets gets a /20 to /24. Default `10.40.0.0/16`."
  type        = string
  default     = "10.40.0.0/16"

  validation {
    condition     = can(cidrhost(var.cidr, 0)) && tonumber(split("/", var.cidr)[1]) >= 16 && tonumber(split("/", var.cidr)[1]) <= 20
    error_message = "cidr must be a valid IPv4 CIDR between /16 and /20."
  }
}

variable "azs" {
  description = "Availability zones, one public and one private subnet in each. At least 3 for this service. Example `[\"us-east-1a\", \"us-east-1b\", \"us-east-1c\"]`."
  type        = list(string)
  default     = []

  validation {
    condition     = length(var.azs) >= 3 && length(distinct(var.azs)) == length(var.azs)
    error_message = "azs must list at least 3 distinct availability zones."
  }
}

variable "enable_ipv6" {
  description = "Assign an Amazon IPv6 /56 to the VPC and a /64 to each public subnet, so the ALB can be dual-stack (AAAA record). Default `true`."
  type        = bool
  default     = true
  nullable    = false
}

variable "enable_nat_gateway" {
  description = "One NAT gateway per AZ for private subnets. Default `false`: every AWS API the tasks call has a VPC endpoint, and no internet path is the safer default for sensitive data."
  type        = bool
  default     = false
  nullable    = false
}

################################################################################
# VPC endpoints
################################################################################

variable "gateway_endpoint_services" {
  description = "Gateway endpoint services attached to the private route tables. Default `[\"dynamodb\", \"s3\"]` (ECR layers are served from S3)."
  type        = list(string)
  default     = ["dynamodb", "s3"]
  nullable    = false
}

variable "interface_endpoint_services" {
  description = "Interface endpoint services (private DNS on) in the private subnets: only what the tasks call (image pull, logs). Default `[\"ecr.api\", \"ecr.dkr\", \"logs\"]`."
  type        = list(string)
  default     = ["ecr.api", "ecr.dkr", "logs"]
  nullable    = false
}

################################################################################
# Flow logs
################################################################################

variable "flow_log_kms_key_arn" {
  description = "Customer-managed KMS key that encrypts the flow log group. Required."
  type        = string
  default     = null

  validation {
    condition     = var.flow_log_kms_key_arn != null
    error_message = "flow_log_kms_key_arn is required: every log group is encrypted with a CMK."
  }
}

variable "flow_log_retention_in_days" {
  description = "Days the flow logs are kept. Default `365`."
  type        = number
  default     = 365

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.flow_log_retention_in_days)
    error_message = "flow_log_retention_in_days must be a value CloudWatch Logs accepts."
  }
}
