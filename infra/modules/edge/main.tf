data "aws_partition" "current" {}
data "aws_caller_identity" "current" {}

locals {
  create = var.create
}

################################################################################
# Certificate
################################################################################

resource "aws_acm_certificate" "this" {
  count = local.create ? 1 : 0

  domain_name       = var.domain_name
  validation_method = "DNS"

  options {
    certificate_transparency_logging_preference = "ENABLED"
  }

  tags = merge(var.tags, { Name = var.domain_name })

  lifecycle {
    create_before_destroy = true
  }
}

# Keyed by the domain names, which are known at plan time: for_each over the certificate's
# domain_validation_options (known only after apply) fails under Terraform's mock_provider with
# "Invalid for_each argument" and on a first plan whenever the set is unknown.
locals {
  validation_options = { for o in try(aws_acm_certificate.this[0].domain_validation_options, []) : o.domain_name => o }
}

resource "aws_route53_record" "validation" {
  for_each = local.create ? toset([var.domain_name]) : toset([])

  zone_id         = var.zone_id
  name            = local.validation_options[each.key].resource_record_name
  type            = local.validation_options[each.key].resource_record_type
  records         = [local.validation_options[each.key].resource_record_value]
  ttl             = 300
  allow_overwrite = true
}

resource "aws_acm_certificate_validation" "this" {
  count = local.create ? 1 : 0

  certificate_arn         = aws_acm_certificate.this[0].arn
  validation_record_fqdns = [for r in aws_route53_record.validation : r.fqdn]
}

################################################################################
# Security group
################################################################################

resource "aws_security_group" "this" {
  #checkov:skip=CKV2_AWS_5:checkov's graph does not follow count-indexed references; attached to aws_lb.this.
  count = local.create ? 1 : 0

  name_prefix = "${var.name}-alb-"
  description = "Internet HTTPS (and HTTP for the redirect) to the load balancer"
  vpc_id      = var.vpc_id

  tags = merge(var.tags, { Name = "${var.name}-alb" })

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_vpc_security_group_ingress_rule" "this" {
  for_each = local.create ? {
    https_ipv4 = { port = 443, ipv4 = "0.0.0.0/0", ipv6 = null }
    https_ipv6 = { port = 443, ipv4 = null, ipv6 = "::/0" }
    http_ipv4  = { port = 80, ipv4 = "0.0.0.0/0", ipv6 = null }
    http_ipv6  = { port = 80, ipv4 = null, ipv6 = "::/0" }
  } : {}

  security_group_id = aws_security_group.this[0].id
  description       = each.value.port == 80 ? "HTTP, answered only with a redirect to HTTPS" : "HTTPS from the internet"
  ip_protocol       = "tcp"
  from_port         = each.value.port
  to_port           = each.value.port
  cidr_ipv4         = each.value.ipv4
  cidr_ipv6         = each.value.ipv6
}

resource "aws_vpc_security_group_egress_rule" "this" {
  count = local.create ? length(var.target_cidrs) : 0

  security_group_id = aws_security_group.this[0].id
  description       = "TLS to the tasks in one private subnet"
  ip_protocol       = "tcp"
  from_port         = var.target_port
  to_port           = var.target_port
  cidr_ipv4         = var.target_cidrs[count.index]
}

################################################################################
# Load balancer
################################################################################

resource "aws_lb" "this" {
  #checkov:skip=CKV2_AWS_28:checkov's graph does not follow count-indexed references; aws_wafv2_web_acl_association.this protects it (create_waf).
  #checkov:skip=CKV2_AWS_76:The web ACL includes AWSManagedRulesKnownBadInputsRuleSet (Log4JRCE rules) through the dynamic managed-rule block, which checkov's graph does not expand; modules/edge/tests assert it.
  count = local.create ? 1 : 0

  #checkov:skip=CKV2_AWS_20:HTTP exists only as a listener that answers 301 to HTTPS (aws_lb_listener.http).
  name                       = var.name
  load_balancer_type         = "application"
  internal                   = false
  ip_address_type            = var.ip_address_type
  subnets                    = var.subnet_ids
  security_groups            = [aws_security_group.this[0].id]
  idle_timeout               = var.idle_timeout
  drop_invalid_header_fields = true
  enable_deletion_protection = var.enable_deletion_protection
  desync_mitigation_mode     = "strictest"

  access_logs {
    # The policy's ID is the bucket name: referencing it orders the ALB after the bucket policy
    # (ELB checks write access when logging is switched on).
    bucket  = module.access_logs.policy_id
    prefix  = "alb"
    enabled = true
  }

  tags = var.tags
}

resource "aws_lb_target_group" "this" {
  count = local.create ? 1 : 0

  name_prefix          = substr(var.name, 0, 6)
  vpc_id               = var.vpc_id
  target_type          = "ip"
  protocol             = "HTTPS"
  protocol_version     = "HTTP1"
  port                 = var.target_port
  deregistration_delay = var.deregistration_delay

  health_check {
    enabled             = true
    protocol            = "HTTPS"
    port                = "traffic-port"
    path                = var.health_check.path
    matcher             = var.health_check.matcher
    interval            = var.health_check.interval
    timeout             = var.health_check.timeout
    healthy_threshold   = var.health_check.healthy_threshold
    unhealthy_threshold = var.health_check.unhealthy_threshold
  }

  tags = var.tags

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_lb_listener" "https" {
  count = local.create ? 1 : 0

  load_balancer_arn = aws_lb.this[0].arn
  port              = 443
  protocol          = "HTTPS"
  ssl_policy        = var.ssl_policy
  certificate_arn   = aws_acm_certificate_validation.this[0].certificate_arn

  # The ALB adds Strict-Transport-Security to every response (ELB user guide, "HTTP header
  # modification": routing.http.response.strict_transport_security.header_value).
  routing_http_response_strict_transport_security_header_value = var.hsts_header_value

  default_action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.this[0].arn
  }

  tags = var.tags
}

resource "aws_lb_listener" "http" {
  count = local.create ? 1 : 0

  #checkov:skip=CKV_AWS_2:Port 80 only answers a permanent redirect to HTTPS; no content is served over HTTP.
  #checkov:skip=CKV_AWS_103:No TLS on a redirect-only HTTP listener; the HTTPS listener uses a TLS 1.3 policy.
  load_balancer_arn = aws_lb.this[0].arn
  port              = 80
  protocol          = "HTTP"

  default_action {
    type = "redirect"

    redirect {
      protocol    = "HTTPS"
      port        = "443"
      status_code = "HTTP_301"
    }
  }

  tags = var.tags
}

################################################################################
# DNS records
################################################################################

# With dns_failover_role set, the primary and the DR stack each own their own failover record
# (same name, own set_identifier): Route 53 answers with the primary while its ALB has healthy
# targets, else with the secondary (Route 53 developer guide, "Failover routing"). Neither state
# owns the other's record.
resource "aws_route53_record" "alias" {
  for_each = local.create ? toset(var.ip_address_type == "dualstack" ? ["A", "AAAA"] : ["A"]) : toset([])

  zone_id        = var.zone_id
  name           = var.domain_name
  type           = each.value
  set_identifier = var.dns_failover_role != null ? "${var.name}-${lower(var.dns_failover_role)}" : null

  dynamic "failover_routing_policy" {
    for_each = var.dns_failover_role != null ? [var.dns_failover_role] : []

    content {
      type = failover_routing_policy.value
    }
  }

  alias {
    name                   = aws_lb.this[0].dns_name
    zone_id                = aws_lb.this[0].zone_id
    evaluate_target_health = true
  }
}

################################################################################
# Access logs
################################################################################

# ALB access log delivery writes with SSE-S3 only, and since 2022 through the log delivery
# service principal instead of the per-region ELB account (ELB user guide, "Enable access logs for
# your Application Load Balancer", step 2; the aws_elb_service_account form is the legacy one).
data "aws_iam_policy_document" "access_logs" {
  statement {
    sid       = "ElbLogDelivery"
    actions   = ["s3:PutObject"]
    resources = ["arn:${data.aws_partition.current.partition}:s3:::${var.access_logs_bucket_name}/alb/AWSLogs/${data.aws_caller_identity.current.account_id}/*"]

    principals {
      type        = "Service"
      identifiers = ["logdelivery.elasticloadbalancing.amazonaws.com"]
    }
  }
}

module "access_logs" {
  source = "../log_bucket"

  create                             = local.create
  bucket                             = var.access_logs_bucket_name
  force_destroy                      = var.force_destroy_buckets
  kms_key_arn                        = null
  transition                         = { days = 30, storage_class = "GLACIER_IR" }
  expiration_days                    = var.access_logs_expiration_days
  noncurrent_version_expiration_days = 30
  policy_documents                   = [data.aws_iam_policy_document.access_logs.json]

  tags = var.tags
}

################################################################################
# WAF
################################################################################

resource "aws_wafv2_web_acl" "this" {
  #checkov:skip=CKV2_AWS_31:checkov's graph does not follow count-indexed references; aws_wafv2_web_acl_logging_configuration.this logs it (enable_waf_logging).
  count = local.create && var.create_waf ? 1 : 0

  name  = var.name
  scope = "REGIONAL"

  default_action {
    allow {}
  }

  dynamic "rule" {
    for_each = var.waf_managed_rule_groups

    content {
      name     = rule.value
      priority = rule.key + 10

      override_action {
        none {}
      }

      statement {
        managed_rule_group_statement {
          vendor_name = "AWS"
          name        = rule.value

          # SizeRestrictions_BODY blocks bodies over 8 KiB, but the API accepts up to 64 KiB
          # (docker/app MAX_BODY_BYTES; larger ones get 413 from the app). WAF on an ALB inspects
          # only the first 8 KiB, so it cannot enforce 64 KiB itself: count, don't block.
          dynamic "rule_action_override" {
            for_each = lookup(var.waf_rule_action_overrides, rule.value, [])

            content {
              name = rule_action_override.value

              action_to_use {
                count {}
              }
            }
          }
        }
      }

      visibility_config {
        cloudwatch_metrics_enabled = true
        metric_name                = rule.value
        sampled_requests_enabled   = true
      }
    }
  }

  rule {
    name     = "rate-limit-per-ip"
    priority = 1

    action {
      block {}
    }

    statement {
      rate_based_statement {
        limit              = var.waf_rate_limit
        aggregate_key_type = "IP"
      }
    }

    visibility_config {
      cloudwatch_metrics_enabled = true
      metric_name                = "rate-limit-per-ip"
      sampled_requests_enabled   = true
    }
  }

  visibility_config {
    cloudwatch_metrics_enabled = true
    metric_name                = var.name
    sampled_requests_enabled   = true
  }

  tags = var.tags
}

resource "aws_wafv2_web_acl_association" "this" {
  count = local.create && var.create_waf ? 1 : 0

  resource_arn = aws_lb.this[0].arn
  web_acl_arn  = aws_wafv2_web_acl.this[0].arn
}

# WAF requires log group names that start with aws-waf-logs-.
resource "aws_cloudwatch_log_group" "waf" {
  count = local.create && var.create_waf && var.enable_waf_logging ? 1 : 0

  name              = "aws-waf-logs-${var.name}"
  retention_in_days = var.log_retention_in_days
  kms_key_id        = var.log_kms_key_arn

  tags = var.tags
}

resource "aws_wafv2_web_acl_logging_configuration" "this" {
  count = local.create && var.create_waf && var.enable_waf_logging ? 1 : 0

  resource_arn            = aws_wafv2_web_acl.this[0].arn
  log_destination_configs = [aws_cloudwatch_log_group.waf[0].arn]

  # Credentials and session cookies never reach the logs.
  redacted_fields {
    single_header {
      name = "authorization"
    }
  }

  redacted_fields {
    single_header {
      name = "cookie"
    }
  }
}

################################################################################
# Shield Advanced
################################################################################

resource "aws_shield_protection" "alb" {
  count = local.create && var.enable_shield_advanced ? 1 : 0

  name         = "${var.name}-alb"
  resource_arn = aws_lb.this[0].arn

  tags = var.tags
}

resource "aws_shield_protection" "zone" {
  count = local.create && var.enable_shield_advanced ? 1 : 0

  name         = "${var.name}-zone"
  resource_arn = "arn:${data.aws_partition.current.partition}:route53:::hostedzone/${var.zone_id}"

  tags = var.tags
}
