# Plan-time properties of the network: 3 AZs, private tasks, endpoints, encrypted flow logs.
mock_provider "aws" {
  mock_data "aws_iam_policy_document" {
    defaults = { json = "{\"Version\":\"2012-10-17\",\"Statement\":[]}" }
  }
  mock_data "aws_caller_identity" {
    defaults = { account_id = "123456789012" }
  }
  mock_resource "aws_vpc" {
    defaults = { ipv6_cidr_block = "2600:1f18:1234:5600::/56" }
  }
  mock_resource "aws_cloudwatch_log_group" {
    defaults = { arn = "arn:aws:logs:us-east-1:123456789012:log-group:/aws/vpc/user-api/flow-logs" }
  }
  mock_resource "aws_iam_role" {
    defaults = { arn = "arn:aws:iam::123456789012:role/user-api-flow-logs" }
  }
}

variables {
  region               = "us-east-1"
  azs                  = ["us-east-1a", "us-east-1b", "us-east-1c"]
  flow_log_kms_key_arn = "arn:aws:kms:us-east-1:123456789012:key/11111111-1111-1111-1111-111111111111"
}

run "three_azs_with_private_subnets_and_no_nat" {
  command = plan

  assert {
    condition     = length(distinct(aws_subnet.private[*].availability_zone)) == 3 && length(distinct(aws_subnet.public[*].availability_zone)) == 3
    error_message = "Public and private subnets must span 3 AZs."
  }

  assert {
    condition     = alltrue([for s in aws_subnet.public : !s.map_public_ip_on_launch])
    error_message = "No automatic public IPs."
  }

  assert {
    condition     = length(aws_nat_gateway.this) == 0
    error_message = "No NAT gateway by default: tasks reach AWS through endpoints."
  }
}

run "endpoints_cover_every_api_the_tasks_call" {
  command = plan

  assert {
    condition     = toset(keys(aws_vpc_endpoint.gateway)) == toset(["dynamodb", "s3"])
    error_message = "Gateway endpoints for DynamoDB and S3."
  }

  assert {
    condition     = toset(keys(aws_vpc_endpoint.interface)) == toset(["ecr.api", "ecr.dkr", "logs"])
    error_message = "Interface endpoints for exactly what the tasks call: ECR (api, dkr) and Logs."
  }

  assert {
    condition = anytrue([
      for st in data.aws_iam_policy_document.s3_endpoint.statement : contains(st.resources, "arn:aws:s3:::prod-us-east-1-starport-layer-bucket/*") && contains(st.actions, "s3:GetObject")
    ])
    error_message = "The S3 endpoint must let ECR's layer bucket through, or every image pull fails."
  }

  assert {
    condition     = alltrue([for e in aws_vpc_endpoint.interface : e.private_dns_enabled])
    error_message = "Interface endpoints need private DNS so SDKs use them unchanged."
  }
}

run "flow_logs_are_encrypted_and_default_sg_is_closed" {
  command = plan

  assert {
    condition     = aws_flow_log.this[0].traffic_type == "ALL" && aws_cloudwatch_log_group.flow_logs[0].kms_key_id == var.flow_log_kms_key_arn
    error_message = "Flow logs of all traffic to a CMK-encrypted log group."
  }

  assert {
    condition     = length(aws_default_security_group.this[0].ingress) == 0 && length(aws_default_security_group.this[0].egress) == 0
    error_message = "The default security group must have no rules."
  }
}

run "two_azs_are_rejected" {
  command = plan

  variables {
    azs = ["us-east-1a", "us-east-1b"]
  }

  expect_failures = [var.azs]
}
