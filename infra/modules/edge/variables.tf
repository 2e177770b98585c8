variable "create" {
  description = "Controls if the edge (certificate, load balancer, WAF, DNS records) is created. Default `true`."
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
  description = "Name prefix of every resource (32 characters at most for the ALB). Default `user-api`."
  type        = string
  default     = "user-api"

  validation {
    condition     = length(var.name) <= 26 && can(regex("^[a-z0-9-]+$", var.name))
    error_message = "name must be lower-case letters, digits and '-' and at most 26 characters (ALB and target group names are capped at 32)."
  }
}

################################################################################
# DNS and certificate
################################################################################

variable "domain_name" {
  description = "Public host name served, e.g. `www.somedomain.com`. Required."
  type        = string
  default     = null

  validation {
    condition     = var.domain_name != null && can(regex("^([a-z0-9-]+\\.)+[a-z]{2,}$", var.domain_name))
    error_message = "domain_name must be a lower-case DNS name such as www.somedomain.com."
  }
}

variable "zone_id" {
  description = "Route53 public hosted zone that holds `domain_name` (validation and alias records go here). Required."
  type        = string
  default     = null

  validation {
    condition     = var.zone_id != null
    error_message = "zone_id is required."
  }
}

################################################################################
# Load balancer
################################################################################

variable "vpc_id" {
  description = "VPC of the load balancer and target group. Required."
  type        = string
  default     = null
}

variable "subnet_ids" {
  description = "Public subnets of the load balancer, one per AZ (at least 3). Required."
  type        = list(string)
  default     = []

  validation {
    condition     = length(var.subnet_ids) >= 3
    error_message = "The load balancer spans at least 3 subnets (one per AZ)."
  }
}

variable "ip_address_type" {
  description = "`ipv4` or `dualstack` (needs IPv6 subnets; serves the AAAA record). Default `dualstack`."
  type        = string
  default     = "dualstack"

  validation {
    condition     = contains(["ipv4", "dualstack"], var.ip_address_type)
    error_message = "ip_address_type must be ipv4 or dualstack."
  }
}

variable "ssl_policy" {
  description = "TLS policy of the HTTPS listener: TLS 1.3 only, or TLS 1.3 + TLS 1.2 restricted to forward-secret AES-GCM suites (no CBC). Default `ELBSecurityPolicy-TLS13-1-2-Res-2021-06`."
  type        = string
  default     = "ELBSecurityPolicy-TLS13-1-2-Res-2021-06"

  validation {
    condition     = can(regex("^ELBSecurityPolicy-TLS13-1-(3-|2-Res-)", var.ssl_policy))
    error_message = "ssl_policy must be an ELBSecurityPolicy-TLS13-1-3-* or ELBSecurityPolicy-TLS13-1-2-Res-* policy (the others allow CBC suites)."
  }
}

variable "enable_deletion_protection" {
  description = "Load balancer deletion protection. Default `true`; switch off only to destroy the stack."
  type        = bool
  default     = true
  nullable    = false
}

variable "idle_timeout" {
  description = "Seconds a connection may idle. Default `60`."
  type        = number
  default     = 60
}

variable "target_port" {
  description = "Port the task serves TLS on. Default `5000`."
  type        = number
  default     = 5000
}

variable "target_cidrs" {
  description = "IPv4 CIDRs of the task subnets; the load balancer may only reach `target_port` there. Required."
  type        = list(string)
  default     = []
}

variable "health_check" {
  description = "Target group health check (HTTPS to the task). Defaults: path `/healthz`, matcher `200`, interval `15`, timeout `5`, healthy `2`, unhealthy `3`."
  type = object({
    path                = optional(string, "/healthz")
    matcher             = optional(string, "200")
    interval            = optional(number, 15)
    timeout             = optional(number, 5)
    healthy_threshold   = optional(number, 2)
    unhealthy_threshold = optional(number, 3)
  })
  default  = {}
  nullable = false
}

variable "deregistration_delay" {
  description = "Seconds in-flight requests may finish on a deregistered task. Default `30`."
  type        = number
  default     = 30
}

################################################################################
# Access logs
################################################################################

variable "access_logs_bucket_name" {
  description = "Name of the S3 bucket created for ALB access logs. Required (bucket names are global)."
  type        = string
  default     = null

  validation {
    condition     = var.access_logs_bucket_name != null && can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.access_logs_bucket_name))
    error_message = "access_logs_bucket_name must be a valid S3 bucket name."
  }
}

variable "access_logs_expiration_days" {
  description = "Days access logs are kept (they move to Glacier Instant Retrieval after 30). Default `400`."
  type        = number
  default     = 400
}

variable "force_destroy_buckets" {
  description = "Let `destroy` delete non-empty log buckets. Default `false`."
  type        = bool
  default     = false
  nullable    = false
}

################################################################################
# WAF
################################################################################

variable "create_waf" {
  description = "Create the WAFv2 web ACL and associate it with the load balancer. Default `true`."
  type        = bool
  default     = true
  nullable    = false
}

variable "waf_rate_limit" {
  description = "Requests per 5 minutes from one IP before the rate rule blocks it. Default `2000`."
  type        = number
  default     = 2000

  validation {
    condition     = var.waf_rate_limit >= 10 && var.waf_rate_limit <= 2000000000
    error_message = "waf_rate_limit must be between 10 and 2,000,000,000."
  }
}

variable "waf_managed_rule_groups" {
  description = "AWS managed rule groups, evaluated in list order. Default: common, known bad inputs, IP reputation, SQL injection."
  type        = list(string)
  default     = ["AWSManagedRulesCommonRuleSet", "AWSManagedRulesKnownBadInputsRuleSet", "AWSManagedRulesAmazonIpReputationList", "AWSManagedRulesSQLiRuleSet"]
  nullable    = false
}

variable "enable_waf_logging" {
  description = "Send WAF logs to a KMS-encrypted CloudWatch log group. Default `true`."
  type        = bool
  default     = true
  nullable    = false
}

variable "log_kms_key_arn" {
  description = "Customer-managed KMS key of the WAF log group. Required when `enable_waf_logging`."
  type        = string
  default     = null
}

variable "log_retention_in_days" {
  description = "Days WAF logs are kept. Default `365`."
  type        = number
  default     = 365
}

################################################################################
# Shield Advanced
################################################################################

variable "enable_shield_advanced" {
  description = "Protect the load balancer and the hosted zone with Shield Advanced. Needs an active subscription (USD 3,000/month plus data transfer, 1-year commitment). Default `false`."
  type        = bool
  default     = false
  nullable    = false
}

variable "hsts_header_value" {
  description = "Strict-Transport-Security header the HTTPS listener adds to every response. Default `max-age=31536000; includeSubDomains`."
  type        = string
  default     = "max-age=31536000; includeSubDomains"
  nullable    = false
}

variable "waf_rule_action_overrides" {
  description = "Rules of managed groups switched to count, by group name. Default counts `SizeRestrictions_BODY` of the common rule set (the API accepts bodies up to 64 KiB)."
  type        = map(list(string))
  default     = { AWSManagedRulesCommonRuleSet = ["SizeRestrictions_BODY"] }
  nullable    = false
}

variable "dns_failover_role" {
  description = "`PRIMARY` or `SECONDARY` to publish the alias records as a Route 53 failover pair with the other region's stack; `null` for a simple record. Default `null`."
  type        = string
  default     = null

  validation {
    condition     = var.dns_failover_role == null || contains(["PRIMARY", "SECONDARY"], coalesce(var.dns_failover_role, "-"))
    error_message = "dns_failover_role must be PRIMARY, SECONDARY or null."
  }
}
