variable "region" {
  description = "Primary region. Default `us-east-1`."
  type        = string
  default     = "us-east-1"

  validation {
    condition     = can(regex("^[a-z]{2}(-gov)?-[a-z]+-[0-9]$", var.region))
    error_message = "region must be an AWS region name such as us-east-1."
  }
}

variable "dr_region" {
  description = "Disaster-recovery region (backup copies, optional table replica). Must differ from `region`. Default `us-west-2`."
  type        = string
  default     = "us-west-2"

  validation {
    condition     = can(regex("^[a-z]{2}(-gov)?-[a-z]+-[0-9]$", var.dr_region))
    error_message = "dr_region must be an AWS region name such as us-west-2."
  }
}

variable "tags" {
  description = "Extra tags on every resource (merged into the provider default tags). Default `{}`."
  type        = map(string)
  default     = {}
}

variable "name" {
  description = "Name of the service; prefixes every resource. Default `user-api`."
  type        = string
  default     = "user-api"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{2,19}$", var.name))
    error_message = "name must be 3-20 lower-case letters, digits or '-', starting with a letter."
  }
}

variable "environment" {
  description = "Environment name (tag and log prefixes). Default `prod`."
  type        = string
  default     = "prod"
}

################################################################################
# Network
################################################################################

variable "vpc_cidr" {
  description = "IPv4 CIDR of the VPC. Default `10.40.0.0/16`."
  type        = string
  default     = "10.40.0.0/16"
}

variable "azs" {
  description = "Three (or more) availability zones of `region`. Default `[]`: the first three Availability Zones of the region (no Local or Wavelength Zones)."
  type        = list(string)
  default     = []
  nullable    = false

  validation {
    condition     = length(var.azs) == 0 || length(var.azs) >= 3
    error_message = "azs must be empty (derive from the region) or list at least 3 availability zones."
  }
}

variable "enable_ipv6" {
  description = "Dual-stack VPC and load balancer (serves the AAAA record). Default `true`."
  type        = bool
  default     = true
  nullable    = false
}

variable "interface_endpoint_services" {
  description = "Interface VPC endpoints for the tasks: image pull and logs (DynamoDB and S3 are gateway endpoints; the task role's credentials come from the ECS agent, not STS). Default `[\"ecr.api\", \"ecr.dkr\", \"logs\"]`."
  type        = list(string)
  default     = ["ecr.api", "ecr.dkr", "logs"]
  nullable    = false
}

################################################################################
# Edge
################################################################################

variable "domain_name" {
  description = "Public host name of the service. Default `www.somedomain.com`."
  type        = string
  default     = "www.somedomain.com"
}

variable "route53_zone_id" {
  description = "ID of the existing public hosted zone of the domain (e.g. `somedomain.com`). Required."
  type        = string
  default     = null

  validation {
    condition     = var.route53_zone_id != null && can(regex("^[A-Z0-9]{10,32}$", var.route53_zone_id))
    error_message = "route53_zone_id must be a Route53 hosted zone ID such as Z0123456789ABCDEFGHIJ (no /hostedzone/ prefix)."
  }
}

variable "ssl_policy" {
  description = "TLS policy of the HTTPS listener: TLS 1.3, TLS 1.2 only with AES-GCM (no CBC). Default `ELBSecurityPolicy-TLS13-1-2-Res-2021-06`."
  type        = string
  default     = "ELBSecurityPolicy-TLS13-1-2-Res-2021-06"
}

variable "dns_failover_role" {
  description = "Route 53 failover role of this stack's alias records: `PRIMARY` (prod), `SECONDARY` (DR) or `null` for a simple record. Default `PRIMARY`."
  type        = string
  default     = "PRIMARY"
}

variable "waf_rate_limit" {
  description = "Requests per 5 minutes per client IP before WAF blocks it. Default `2000`."
  type        = number
  default     = 2000
}

variable "enable_waf_logging" {
  description = "WAF logs to a KMS-encrypted log group. Default `true`."
  type        = bool
  default     = true
  nullable    = false
}

variable "enable_shield_advanced" {
  description = "Shield Advanced protection of the ALB and the zone. Needs an active Shield Advanced subscription on the account first (USD 3,000/month, 1-year commitment; `aws shield create-subscription`), else the apply fails. Default `false`."
  type        = bool
  default     = false
  nullable    = false
}

variable "health_check_path" {
  description = "Path the service answers 200 on (load balancer and container health checks). Default `/healthz`."
  type        = string
  default     = "/healthz"
}

################################################################################
# Service
################################################################################

variable "verify_images" {
  description = "Plan fails unless both images exist in ECR (catches an expired or never-pushed tag before ECS does). Default `true`."
  type        = bool
  default     = true
  nullable    = false
}

variable "ecr_kms_key_arn" {
  description = "Key of the ECR repositories (`tofu -chdir=infra/artifacts output -raw kms_key_arn`, or `kms_key_arn_dr` in the DR region); the execution role may decrypt layers with it. Default `null`."
  type        = string
  default     = null
}

variable "container_image" {
  description = "Image of the /user application with an immutable tag or digest, usually `<repository_url>:<git sha>`. Required."
  type        = string
}

variable "tls_proxy_image" {
  description = "Image of the TLS sidecar that serves HTTPS on port 5000 in each task. Required."
  type        = string
}

variable "log_router_image" {
  description = "FireLens Fluent Bit collector image (aws-for-fluent-bit pushed to the artifacts ECR; no internet path from the tasks). `null`: the awslogs driver. Default `null`."
  type        = string
  default     = null
}

variable "desired_count" {
  description = "Tasks at steady state and autoscaling floor (at least one per AZ). Default `3`."
  type        = number
  default     = 3

  validation {
    condition     = var.desired_count >= 3
    error_message = "desired_count must be at least 3."
  }
}

variable "max_count" {
  description = "Autoscaling ceiling. Default `12`."
  type        = number
  default     = 12
}

variable "enable_autoscaling" {
  description = "Target-tracking autoscaling between `desired_count` and `max_count`. Default `true`."
  type        = bool
  default     = true
  nullable    = false
}

variable "enable_ephemeral_storage_cmk" {
  description = "Encrypt Fargate ephemeral storage with a customer-managed key (cluster managed storage). Default `true`."
  type        = bool
  default     = true
  nullable    = false
}

variable "wait_for_steady_state" {
  description = "Make `apply` wait for a stable ECS deployment. Default `true`."
  type        = bool
  default     = true
  nullable    = false
}

################################################################################
# Data
################################################################################

variable "table_name" {
  description = "Name of the users table. Default `users`."
  type        = string
  default     = "users"
}

variable "create_table" {
  description = "This stack creates and owns the table. `false` in the DR region: the table is the global-table replica or was restored from the DR vault (`make -C infra dr-restore`). Default `true`."
  type        = bool
  default     = true
  nullable    = false
}

variable "create_table_resource_policy" {
  description = "Table resource policy that denies non-TLS requests. Default `true`."
  type        = bool
  default     = true
  nullable    = false
}

variable "enable_dynamodb_replica" {
  description = "Add a global-table replica in `dr_region` (doubles write cost). Default `false`."
  type        = bool
  default     = false
  nullable    = false
}

variable "create_backup" {
  description = "AWS Backup vault and daily plan. Default `true`."
  type        = bool
  default     = true
  nullable    = false
}

variable "create_backup_selection" {
  description = "Assign the table to the backup plan. Default `true`."
  type        = bool
  default     = true
  nullable    = false
}

variable "create_restore_testing" {
  description = "Weekly AWS Backup restore test of the table. Default `true`."
  type        = bool
  default     = true
  nullable    = false
}

variable "create_cross_region_copy" {
  description = "Copy recovery points to a vault in `dr_region`. Default `true`."
  type        = bool
  default     = true
  nullable    = false
}

################################################################################
# Protective services (the account singletons live in infra/baseline)
################################################################################

variable "enable_guardduty_runtime_monitoring" {
  description = "GuardDuty Runtime Monitoring is on in this region (infra/baseline): let the execution role pull the GuardDuty agent. Default `true`."
  type        = bool
  default     = true
  nullable    = false
}

variable "kms_key_administrator_arns" {
  description = "IAM roles that administer (not use) every key of this stack. Default `[]`: the account root, i.e. whoever IAM allows."
  type        = list(string)
  default     = []
  nullable    = false
}

################################################################################
# Observability
################################################################################

variable "alarm_emails" {
  description = "E-mail addresses subscribed to the alarm topic. Default `[]`."
  type        = list(string)
  default     = []
  nullable    = false
}

variable "log_retention_in_days" {
  description = "Retention of every log group. Default `365`."
  type        = number
  default     = 365
}

################################################################################
# Teardown
################################################################################

variable "enable_deletion_protection" {
  description = "Deletion protection of the load balancer and the table. Default `true`. To tear the stack down: apply with `false`, then destroy."
  type        = bool
  default     = true
  nullable    = false
}

variable "force_destroy" {
  description = "Let destroy empty the log buckets. Default `false`; `true` only for throw-away stacks."
  type        = bool
  default     = false
  nullable    = false
}

variable "force_destroy_backup_vaults" {
  description = "Let destroy delete backup vaults that still hold recovery points. Default `false`; `true` only for throw-away stacks."
  type        = bool
  default     = false
  nullable    = false
}
