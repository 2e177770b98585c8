# The composed prod root plans with every module wired together, and its own validations hold.
# AWS is mocked (no account needed); module internals are asserted in modules/*/tests.
mock_provider "aws" {
  mock_data "aws_iam_policy_document" {
    defaults = { json = "{\"Version\":\"2012-10-17\",\"Statement\":[]}" }
  }
  mock_data "aws_caller_identity" {
    defaults = { account_id = "123456789012" }
  }
  mock_data "aws_partition" {
    defaults = { partition = "aws" }
  }
  mock_data "aws_availability_zones" {
    defaults = { names = ["us-east-1a", "us-east-1b", "us-east-1c", "us-east-1d"] }
  }
  mock_resource "aws_kms_key" {
    defaults = { arn = "arn:aws:kms:us-east-1:123456789012:key/11111111-1111-1111-1111-111111111111" }
  }
  mock_resource "aws_vpc" {
    defaults = { ipv6_cidr_block = "2600:1f18:1234:5600::/56" }
  }
  mock_resource "aws_dynamodb_table" {
    defaults = { arn = "arn:aws:dynamodb:us-east-1:123456789012:table/users" }
  }
  mock_resource "aws_backup_vault" {
    defaults = { arn = "arn:aws:backup:us-east-1:123456789012:backup-vault:users-primary" }
  }
  mock_resource "aws_iam_role" {
    defaults = { arn = "arn:aws:iam::123456789012:role/user-api" }
  }
  mock_resource "aws_s3_bucket" {
    defaults = { arn = "arn:aws:s3:::user-api-bucket" }
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
    defaults = { arn = "arn:aws:logs:us-east-1:123456789012:log-group:user-api" }
  }
  mock_resource "aws_ecs_cluster" {
    defaults = { arn = "arn:aws:ecs:us-east-1:123456789012:cluster/user-api" }
  }
  mock_resource "aws_ecs_task_definition" {
    defaults = { arn = "arn:aws:ecs:us-east-1:123456789012:task-definition/user-api:1" }
  }
  mock_resource "aws_sns_topic" {
    defaults = { arn = "arn:aws:sns:us-east-1:123456789012:user-api-alarms" }
  }
}

mock_provider "aws" {
  alias = "dr"

  mock_data "aws_iam_policy_document" {
    defaults = { json = "{\"Version\":\"2012-10-17\",\"Statement\":[]}" }
  }
  mock_data "aws_caller_identity" {
    defaults = { account_id = "123456789012" }
  }
  mock_data "aws_partition" {
    defaults = { partition = "aws" }
  }
  mock_resource "aws_kms_key" {
    defaults = { arn = "arn:aws:kms:us-west-2:123456789012:key/22222222-2222-2222-2222-222222222222" }
  }
  mock_resource "aws_backup_vault" {
    defaults = { arn = "arn:aws:backup:us-west-2:123456789012:backup-vault:users-dr" }
  }
}

variables {
  route53_zone_id = "Z0123456789ABCDEFGHIJ"
  container_image = "123456789012.dkr.ecr.us-east-1.amazonaws.com/user-api:abc123"
  tls_proxy_image = "123456789012.dkr.ecr.us-east-1.amazonaws.com/user-api:tls-proxy-abc123"
}

run "prod_plans_with_every_module" {
  command = plan

  assert {
    condition     = output.url == "https://www.somedomain.com/user"
    error_message = "The service is published at https://www.somedomain.com/user."
  }

  assert {
    condition     = length(output.kms_key_arns) == 5 && length(output.dr_kms_key_arns) == 1
    error_message = "Five CMKs in the primary region (logs, table, backup, alarms, Fargate storage) and the DR backup key; ECR keys live in infra/artifacts."
  }

  assert {
    condition     = length(output.private_subnet_ids) == 3 && join(",", output.availability_zones) == "us-east-1a,us-east-1b,us-east-1c"
    error_message = "Tasks get one private subnet in each of the region's first three zones."
  }

  assert {
    condition     = length([for a in output.alarm_names : a if strcontains(a, "dynamodb")]) == 3
    error_message = "DynamoDB throttles, system errors (per operation) and user errors (per region) are alarmed."
  }
}

run "the_replica_adds_a_dr_table_key" {
  command = plan

  variables {
    enable_dynamodb_replica = true
  }

  assert {
    condition     = length(output.dr_kms_key_arns) == 2
    error_message = "The opt-in replica needs its own CMK in the DR region."
  }
}

run "fewer_than_three_tasks_are_rejected" {
  command = plan

  variables {
    desired_count = 2
  }

  expect_failures = [var.desired_count]
}

run "a_zone_arn_is_rejected" {
  command = plan

  variables {
    route53_zone_id = "/hostedzone/Z0123456789ABCDEFGHIJ"
  }

  expect_failures = [var.route53_zone_id]
}
