# The DR root plans in the DR region against an existing (replica or restored) table.
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
    defaults = { names = ["us-west-2a", "us-west-2b", "us-west-2c", "us-west-2d"] }
  }
  mock_resource "aws_kms_key" {
    defaults = { arn = "arn:aws:kms:us-east-1:123456789012:key/11111111-1111-1111-1111-111111111111" }
  }
  mock_resource "aws_vpc" {
    defaults = { ipv6_cidr_block = "2600:1f18:1234:5600::/56" }
  }
  mock_data "aws_dynamodb_table" {
    defaults = { arn = "arn:aws:dynamodb:us-west-2:123456789012:table/users" }
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
  container_image = "123456789012.dkr.ecr.us-west-2.amazonaws.com/user-api/app:abc123"
  tls_proxy_image = "123456789012.dkr.ecr.us-west-2.amazonaws.com/user-api/tls-proxy:abc123"
}

run "dr_plans_in_its_own_region_against_the_existing_table" {
  command = plan

  assert {
    condition     = join(",", output.availability_zones) == "us-west-2a,us-west-2b,us-west-2c"
    error_message = "The DR stack derives its zones from its own region."
  }

  assert {
    condition     = output.table_name == "users" && length(output.dr_kms_key_arns) == 0
    error_message = "The DR stack reads the existing table and copies no backups back to the failed region."
  }

  assert {
    condition     = output.url == "https://www.somedomain.com/user"
    error_message = "The DR stack serves the same host name (SECONDARY failover record)."
  }
}
