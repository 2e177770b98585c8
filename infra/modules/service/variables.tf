variable "create" {
  description = "Controls if the service (ECR, ECS cluster, task definition, service, roles) is created. Default `true`."
  type        = bool
  default     = true
  nullable    = false
}

variable "region" {
  description = "Region of the service (awslogs driver setting). Required."
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
  description = "Name of the cluster, service and roles. Default `user-api`."
  type        = string
  default     = "user-api"
}

################################################################################
# ECR
################################################################################

variable "ecr_kms_key_arn" {
  description = "Customer-managed KMS key of the ECR repositories (infra/artifacts); the execution role may decrypt image layers with it. Default `null`."
  type        = string
  default     = null
}

################################################################################
# Cluster
################################################################################

variable "enable_container_insights" {
  description = "CloudWatch Container Insights on the cluster. Default `true`."
  type        = bool
  default     = true
  nullable    = false
}

variable "ephemeral_storage_kms_key_arn" {
  description = "Customer-managed KMS key for Fargate ephemeral storage (cluster managed storage). `null` keeps AWS-owned encryption. Default `null`."
  type        = string
  default     = null
}

################################################################################
# Task definition
################################################################################

variable "container_image" {
  description = "Image of the /user application (`repo:tag` or `repo@sha256:...`; tags are immutable). Required."
  type        = string
  default     = null

  validation {
    condition     = var.container_image != null && can(regex("[:@]", var.container_image))
    error_message = "container_image is required and must carry a tag or digest."
  }
}

variable "app_port" {
  description = "Port the application listens on inside the task (loopback only; the TLS sidecar fronts it). Default `8080`."
  type        = number
  default     = 8080
}

variable "tls_proxy_image" {
  description = "Image of the TLS sidecar built from `docker/tls-sidecar/` (nginx): generates a self-signed ECDSA P-256 key pair at start into `TLS_DIR` (the task's `/tmp`), serves TLS 1.2+ on `container_port` and proxies to `127.0.0.1:app_port`. Required; must carry a tag or digest."
  type        = string
  default     = null

  validation {
    condition     = var.tls_proxy_image != null && can(regex("[:@]", var.tls_proxy_image))
    error_message = "tls_proxy_image is required and must carry a tag or digest."
  }
}

variable "container_port" {
  description = "TLS port the task exposes to the load balancer. Default `5000`."
  type        = number
  default     = 5000
}

variable "cpu" {
  description = "Task CPU units (Fargate sizes). Default `512`."
  type        = number
  default     = 512
}

variable "memory" {
  description = "Task memory in MiB (Fargate sizes). Default `1024`."
  type        = number
  default     = 1024
}

variable "container_user" {
  description = "`uid:gid` the containers run as; never root. Default `10001:10001`."
  type        = string
  default     = "10001:10001"

  validation {
    condition     = can(regex("^[0-9]+:[0-9]+$", var.container_user)) && !startswith(var.container_user, "0:")
    error_message = "container_user must be a numeric non-root uid:gid."
  }
}

variable "environment" {
  description = "Extra plain environment variables of the application (no secrets). Default `{}`."
  type        = map(string)
  default     = {}
}

variable "container_health_check_command" {
  description = "Health check of the app container (ECS `healthCheck.command`); the TLS sidecar starts once it passes. Default: the image's own probe `python /opt/healthcheck.py` (GET /healthz on PORT)."
  type        = list(string)
  default     = ["CMD", "python", "/opt/healthcheck.py"]
}

################################################################################
# Logging
################################################################################

variable "log_kms_key_arn" {
  description = "Customer-managed KMS key of the service log group. Required."
  type        = string
  default     = null

  validation {
    condition     = var.log_kms_key_arn != null
    error_message = "log_kms_key_arn is required: every log group is encrypted with a CMK."
  }
}

variable "log_retention_in_days" {
  description = "Days the service logs are kept. Default `365`."
  type        = number
  default     = 365
}

################################################################################
# Service
################################################################################

variable "desired_count" {
  description = "Tasks at steady state; also the autoscaling floor. At least 3 so each AZ keeps one. Default `3`."
  type        = number
  default     = 3

  validation {
    condition     = var.desired_count >= 3
    error_message = "desired_count must be at least 3 (one task per AZ)."
  }
}

variable "subnet_ids" {
  description = "Private subnets of the tasks, one per AZ (at least 3). Required."
  type        = list(string)
  default     = []

  validation {
    condition     = length(var.subnet_ids) >= 3
    error_message = "Tasks spread over at least 3 subnets (one per AZ)."
  }
}

variable "vpc_id" {
  description = "VPC of the task security group. Required."
  type        = string
  default     = null
}

variable "vpc_cidr" {
  description = "IPv4 CIDR of the VPC; tasks may reach the interface endpoints there on 443. Required."
  type        = string
  default     = null
}

variable "endpoint_prefix_list_ids" {
  description = "Prefix lists of the gateway endpoints the tasks may reach on 443, keyed by service (`dynamodb`, `s3`). Default `{}`."
  type        = map(string)
  default     = {}
  nullable    = false
}

variable "alb_security_group_id" {
  description = "Security group of the load balancer; the only source allowed to reach the tasks. Required."
  type        = string
  default     = null
}

variable "target_group_arn" {
  description = "Target group the service registers its tasks in. Required."
  type        = string
  default     = null
}

variable "health_check_grace_period_seconds" {
  description = "Seconds the scheduler ignores failing load balancer health checks of a new task. Default `60`."
  type        = number
  default     = 60
}

variable "wait_for_steady_state" {
  description = "Make `apply` wait until the deployment is stable (fails the apply on a bad deploy). Default `true`."
  type        = bool
  default     = true
  nullable    = false
}

################################################################################
# Autoscaling
################################################################################

variable "enable_autoscaling" {
  description = "Application Auto Scaling of the service (target tracking on CPU and requests per target). Default `true`."
  type        = bool
  default     = true
  nullable    = false
}

variable "autoscaling" {
  description = "Target tracking: `max_capacity` (default `12`), `cpu_target` percent (default `60`), `requests_per_target` per minute (default `1000`), cooldowns in seconds. The minimum is `desired_count`."
  type = object({
    max_capacity        = optional(number, 12)
    cpu_target          = optional(number, 60)
    requests_per_target = optional(number, 1000)
    scale_in_cooldown   = optional(number, 300)
    scale_out_cooldown  = optional(number, 60)
  })
  default  = {}
  nullable = false
}

variable "alb_arn_suffix" {
  description = "ARN suffix of the load balancer (request-count scaling metric). Required."
  type        = string
  default     = null
}

variable "target_group_arn_suffix" {
  description = "ARN suffix of the target group (request-count scaling metric). Required."
  type        = string
  default     = null
}

################################################################################
# Task role
################################################################################

variable "table_arn" {
  description = "ARN of the DynamoDB table the application may use. Required."
  type        = string
  default     = null
}

variable "table_actions" {
  description = "DynamoDB actions granted on the table (named actions only, no wildcards). Default: what the /user service calls, `GetItem` (GET one), `PutItem` (POST, conditional), `DescribeTable` (readiness). No `Scan`: the service has no listing (an unauthenticated bulk read of the table)."
  type        = list(string)
  default     = ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:DescribeTable"]

  validation {
    condition     = alltrue([for a in var.table_actions : can(regex("^dynamodb:[A-Za-z]+$", a))])
    error_message = "table_actions must be named dynamodb:<Action> entries without wildcards."
  }
}

variable "guardduty_agent_registry_id" {
  description = "AWS account that hosts the GuardDuty Fargate agent in `region` (GuardDuty user guide table, e.g. `593207742271` in us-east-1); the execution role may pull it. Default `null` (runtime monitoring off)."
  type        = string
  default     = null

  validation {
    condition     = var.guardduty_agent_registry_id == null || can(regex("^[0-9]{12}$", var.guardduty_agent_registry_id))
    error_message = "guardduty_agent_registry_id must be a 12-digit account ID."
  }
}

variable "log_router_image" {
  description = "Image of a FireLens Fluent Bit log collector (e.g. aws-for-fluent-bit mirrored into the artifacts ECR: the tasks have no internet path). When set, container logs go through it to the service log group; `null` uses the awslogs driver. Default `null`."
  type        = string
  default     = null
}
