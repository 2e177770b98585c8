# Plan-time properties of the edge: HTTPS only with a TLS 1.3 policy, 301 from HTTP, WAF and
# hardened load balancer. AWS is mocked (no account needed).
mock_provider "aws" {
  mock_data "aws_iam_policy_document" {
    defaults = { json = "{\"Version\":\"2012-10-17\",\"Statement\":[]}" }
  }
  mock_data "aws_partition" {
    defaults = { partition = "aws" }
  }
  mock_data "aws_caller_identity" {
    defaults = { account_id = "123456789012" }
  }
  mock_resource "aws_s3_bucket" {
    defaults = { arn = "arn:aws:s3:::user-api-alb-logs" }
  }
  mock_resource "aws_lb" {
    defaults = { arn = "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/user-api/0123456789abcdef" }
  }
  mock_resource "aws_lb_target_group" {
    defaults = { arn = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/user-a/0123456789abcdef" }
  }
  mock_resource "aws_acm_certificate" {
    # What ACM returns for a DNS-validated certificate: one record per domain name. A mock left
    # to itself returns an empty set, which no real certificate has.
    defaults = {
      arn = "arn:aws:acm:us-east-1:123456789012:certificate/11111111-1111-1111-1111-111111111111"
      domain_validation_options = [{
        domain_name           = "www.somedomain.com"
        resource_record_name  = "_0123456789abcdef.www.somedomain.com."
        resource_record_type  = "CNAME"
        resource_record_value = "_fedcba9876543210.acm-validations.aws."
      }]
    }
  }
  mock_resource "aws_wafv2_web_acl" {
    defaults = { arn = "arn:aws:wafv2:us-east-1:123456789012:regional/webacl/user-api/11111111-1111-1111-1111-111111111111" }
  }
  mock_resource "aws_cloudwatch_log_group" {
    defaults = { arn = "arn:aws:logs:us-east-1:123456789012:log-group:aws-waf-logs-user-api" }
  }
}

variables {
  name                    = "user-api"
  domain_name             = "www.somedomain.com"
  zone_id                 = "Z0123456789ABCDEFGHIJ"
  vpc_id                  = "vpc-0123456789abcdef0"
  subnet_ids              = ["subnet-a", "subnet-b", "subnet-c"]
  target_cidrs            = ["10.40.128.0/20", "10.40.144.0/20", "10.40.160.0/20"]
  access_logs_bucket_name = "user-api-alb-logs-123456789012-us-east-1"
  log_kms_key_arn         = "arn:aws:kms:us-east-1:123456789012:key/11111111-1111-1111-1111-111111111111"
}

run "https_listener_uses_a_tls13_policy" {
  command = plan

  assert {
    condition     = aws_lb_listener.https[0].protocol == "HTTPS" && aws_lb_listener.https[0].port == 443
    error_message = "The public listener must be HTTPS on 443."
  }

  assert {
    condition     = startswith(aws_lb_listener.https[0].ssl_policy, "ELBSecurityPolicy-TLS13-")
    error_message = "The HTTPS listener must use a TLS 1.3 policy."
  }
}

run "http_only_redirects_to_https" {
  command = plan

  assert {
    condition = (
      aws_lb_listener.http[0].default_action[0].type == "redirect" &&
      aws_lb_listener.http[0].default_action[0].redirect[0].protocol == "HTTPS" &&
      aws_lb_listener.http[0].default_action[0].redirect[0].status_code == "HTTP_301"
    )
    error_message = "Port 80 must answer only a 301 to HTTPS."
  }
}

run "load_balancer_is_hardened" {
  command = plan

  assert {
    condition     = aws_lb.this[0].drop_invalid_header_fields && aws_lb.this[0].enable_deletion_protection
    error_message = "drop_invalid_header_fields and deletion protection must be on."
  }

  assert {
    condition     = aws_lb.this[0].access_logs[0].enabled
    error_message = "Access logs must be on."
  }

  assert {
    condition     = aws_lb_target_group.this[0].protocol == "HTTPS" && aws_lb_target_group.this[0].port == 5000 && aws_lb_target_group.this[0].health_check[0].protocol == "HTTPS"
    error_message = "The hop from the ALB to the task must be TLS on 5000."
  }

  assert {
    condition     = toset(keys(aws_route53_record.alias)) == toset(["A", "AAAA"])
    error_message = "www must have alias A and AAAA records."
  }
}

run "waf_has_managed_rules_rate_limit_and_logging" {
  command = plan

  assert {
    condition = length(setsubtract(
      ["AWSManagedRulesCommonRuleSet", "AWSManagedRulesKnownBadInputsRuleSet", "AWSManagedRulesAmazonIpReputationList", "AWSManagedRulesSQLiRuleSet", "rate-limit-per-ip"],
      [for r in aws_wafv2_web_acl.this[0].rule : r.name]
    )) == 0
    error_message = "The web ACL must carry the four managed groups and the rate rule."
  }

  assert {
    condition     = length(aws_wafv2_web_acl_logging_configuration.this) == 1 && aws_cloudwatch_log_group.waf[0].kms_key_id == var.log_kms_key_arn
    error_message = "WAF must log to a CMK-encrypted log group."
  }
}

run "listener_sends_hsts_and_waf_counts_large_bodies" {
  command = plan

  assert {
    condition     = startswith(aws_lb_listener.https[0].routing_http_response_strict_transport_security_header_value, "max-age=31536000")
    error_message = "The HTTPS listener must add a Strict-Transport-Security header of at least a year."
  }

  assert {
    condition = anytrue([
      for o in one([for r in aws_wafv2_web_acl.this[0].rule : r if r.name == "AWSManagedRulesCommonRuleSet"]).statement[0].managed_rule_group_statement[0].rule_action_override : o.name == "SizeRestrictions_BODY" && length(o.action_to_use[0].count) == 1
    ])
    error_message = "SizeRestrictions_BODY (8 KiB) must only count: the API accepts bodies up to 64 KiB."
  }
}

run "tls12_policy_with_cbc_suites_is_rejected" {
  command = plan

  variables {
    ssl_policy = "ELBSecurityPolicy-TLS13-1-2-2021-06"
  }

  expect_failures = [var.ssl_policy]
}

run "tls12_only_policy_is_rejected" {
  command = plan

  variables {
    ssl_policy = "ELBSecurityPolicy-TLS-1-2-2017-01"
  }

  expect_failures = [var.ssl_policy]
}
