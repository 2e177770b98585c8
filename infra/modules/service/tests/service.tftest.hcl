# Plan-time properties of the service: >= 3 tasks, rollback, hardened containers, CMK log
# group and a task role with named actions only. AWS is mocked (no account needed).
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
  mock_resource "aws_iam_role" {
    defaults = { arn = "arn:aws:iam::123456789012:role/user-api" }
  }
  mock_resource "aws_ecs_cluster" {
    defaults = { arn = "arn:aws:ecs:us-east-1:123456789012:cluster/user-api" }
  }
  mock_resource "aws_ecs_task_definition" {
    defaults = { arn = "arn:aws:ecs:us-east-1:123456789012:task-definition/user-api:1" }
  }
  mock_resource "aws_cloudwatch_log_group" {
    defaults = { arn = "arn:aws:logs:us-east-1:123456789012:log-group:/ecs/user-api" }
  }
}

variables {
  region                        = "us-east-1"
  name                          = "user-api"
  container_image               = "123456789012.dkr.ecr.us-east-1.amazonaws.com/user-api:abc123"
  tls_proxy_image               = "123456789012.dkr.ecr.us-east-1.amazonaws.com/user-api:tls-proxy-abc123"
  ecr_kms_key_arn               = "arn:aws:kms:us-east-1:123456789012:key/11111111-1111-1111-1111-111111111111"
  ephemeral_storage_kms_key_arn = "arn:aws:kms:us-east-1:123456789012:key/22222222-2222-2222-2222-222222222222"
  log_kms_key_arn               = "arn:aws:kms:us-east-1:123456789012:key/33333333-3333-3333-3333-333333333333"
  subnet_ids                    = ["subnet-a", "subnet-b", "subnet-c"]
  vpc_id                        = "vpc-0123456789abcdef0"
  vpc_cidr                      = "10.40.0.0/16"
  endpoint_prefix_list_ids      = { dynamodb = "pl-02cd2c6b", s3 = "pl-63a5400a" }
  alb_security_group_id         = "sg-0123456789abcdef0"
  target_group_arn              = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/user-a/0123456789abcdef"
  alb_arn_suffix                = "app/user-api/0123456789abcdef"
  target_group_arn_suffix       = "targetgroup/user-a/0123456789abcdef"
  table_arn                     = "arn:aws:dynamodb:us-east-1:123456789012:table/users"
}

run "at_least_three_tasks_in_private_subnets_with_rollback" {
  command = plan

  assert {
    condition     = aws_ecs_service.this[0].desired_count >= 3 && length(aws_ecs_service.this[0].network_configuration[0].subnets) >= 3
    error_message = "At least 3 tasks over at least 3 subnets."
  }

  assert {
    condition     = !aws_ecs_service.this[0].network_configuration[0].assign_public_ip
    error_message = "Tasks never get a public IP."
  }

  assert {
    condition     = aws_ecs_service.this[0].deployment_circuit_breaker[0].enable && aws_ecs_service.this[0].deployment_circuit_breaker[0].rollback
    error_message = "The deployment circuit breaker must roll back."
  }

  assert {
    condition     = one(aws_ecs_service.this[0].load_balancer).container_port == 5000
    error_message = "The load balancer reaches the task's TLS port 5000."
  }
}

run "containers_are_read_only_and_non_root" {
  command = plan

  assert {
    condition     = alltrue([for c in jsondecode(aws_ecs_task_definition.this[0].container_definitions) : c.readonlyRootFilesystem && !startswith(c.user, "0") && !c.privileged])
    error_message = "Every container must have a read-only root filesystem and run as non-root."
  }

  assert {
    condition = anytrue([for c in jsondecode(aws_ecs_task_definition.this[0].container_definitions) :
    anytrue([for m in c.mountPoints : m.containerPath == "/var/log/app" && !m.readOnly]) if c.name == "app"])
    error_message = "The app container must have a writable /var/log/app volume."
  }

  assert {
    condition     = alltrue([for c in jsondecode(aws_ecs_task_definition.this[0].container_definitions) : c.logConfiguration.logDriver == "awslogs"])
    error_message = "Every container logs through awslogs."
  }

  assert {
    condition     = aws_cloudwatch_log_group.this[0].kms_key_id == var.log_kms_key_arn && aws_cloudwatch_log_group.this[0].retention_in_days > 0
    error_message = "The service log group must be CMK-encrypted with a retention."
  }
}

run "cluster_has_insights_and_cmk_ephemeral_storage" {
  command = plan

  assert {
    condition     = one([for s in aws_ecs_cluster.this[0].setting : s.value if s.name == "containerInsights"]) == "enabled"
    error_message = "Container Insights must be on."
  }

  assert {
    condition     = one(one(aws_ecs_cluster.this[0].configuration).managed_storage_configuration).fargate_ephemeral_storage_kms_key_id == var.ephemeral_storage_kms_key_arn
    error_message = "Fargate ephemeral storage must use the CMK."
  }

  assert {
    condition     = aws_cloudwatch_log_group.container_insights[0].kms_key_id == var.log_kms_key_arn && aws_cloudwatch_log_group.container_insights[0].name == "/aws/ecs/containerinsights/user-api/performance"
    error_message = "Container Insights must write to a CMK-encrypted log group created before the cluster."
  }
}

run "task_role_names_its_actions_on_its_table_only" {
  command = plan

  assert {
    condition = alltrue(flatten([for s in data.aws_iam_policy_document.task[0].statement :
    [for a in s.actions : !strcontains(a, "*")]]))
    error_message = "The task role may not use wildcard actions."
  }

  assert {
    condition = alltrue(flatten([for s in data.aws_iam_policy_document.task[0].statement :
    [for r in s.resources : startswith(r, var.table_arn)]]))
    error_message = "The task role may only touch its own table."
  }
}

run "autoscaling_tracks_cpu_and_requests" {
  command = plan

  assert {
    condition     = aws_appautoscaling_target.this[0].min_capacity >= 3
    error_message = "Autoscaling never goes below 3 tasks."
  }

  assert {
    condition     = aws_appautoscaling_policy.requests[0].target_tracking_scaling_policy_configuration[0].predefined_metric_specification[0].predefined_metric_type == "ALBRequestCountPerTarget"
    error_message = "One policy tracks requests per target."
  }
}

run "two_tasks_are_rejected" {
  command = plan

  variables {
    desired_count = 2
  }

  expect_failures = [var.desired_count]
}

run "wildcard_table_actions_are_rejected" {
  command = plan

  variables {
    table_actions = ["dynamodb:*"]
  }

  expect_failures = [var.table_actions]
}
