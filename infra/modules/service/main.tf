data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

locals {
  create     = var.create
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition

  app_container   = "app"
  proxy_container = "tls-proxy"
  log_volume      = "app-logs"
  tmp_volume      = "tmp"
}

################################################################################
# Cluster
################################################################################

# Container Insights writes performance events to this group; created here first so it carries
# the CMK and a retention (ECS would otherwise create it unencrypted, keeping events forever).
# ECS developer guide, "Amazon ECS Container Insights": /aws/ecs/containerinsights/<cluster>/performance.
resource "aws_cloudwatch_log_group" "container_insights" {
  count = local.create && var.enable_container_insights ? 1 : 0

  name              = "/aws/ecs/containerinsights/${var.name}/performance"
  retention_in_days = var.log_retention_in_days
  kms_key_id        = var.log_kms_key_arn

  tags = var.tags
}

resource "aws_ecs_cluster" "this" {
  count = local.create ? 1 : 0

  name = var.name

  setting {
    name  = "containerInsights"
    value = var.enable_container_insights ? "enabled" : "disabled"
  }

  dynamic "configuration" {
    for_each = var.ephemeral_storage_kms_key_arn != null ? [1] : []

    content {
      managed_storage_configuration {
        fargate_ephemeral_storage_kms_key_id = var.ephemeral_storage_kms_key_arn
      }
    }
  }

  tags = var.tags

  depends_on = [aws_cloudwatch_log_group.container_insights]
}

resource "aws_ecs_cluster_capacity_providers" "this" {
  count = local.create ? 1 : 0

  cluster_name       = aws_ecs_cluster.this[0].name
  capacity_providers = ["FARGATE"]

  default_capacity_provider_strategy {
    capacity_provider = "FARGATE"
    weight            = 1
    base              = 0
  }
}

################################################################################
# Logging
################################################################################

resource "aws_cloudwatch_log_group" "this" {
  count = local.create ? 1 : 0

  name              = "/ecs/${var.name}"
  retention_in_days = var.log_retention_in_days
  kms_key_id        = var.log_kms_key_arn

  tags = var.tags
}

################################################################################
# Task definition
################################################################################

locals {
  # Logs leave the task through the awslogs driver, or, with `log_router_image`, through a
  # FireLens Fluent Bit collector (ECS developer guide, "Send Amazon ECS logs to an AWS service or
  # AWS Partner": awsfirelens + the cloudwatch_logs output), both into the CMK log group.
  awslogs_configuration = {
    logDriver = "awslogs"
    options = {
      awslogs-group         = try(aws_cloudwatch_log_group.this[0].name, "")
      awslogs-region        = var.region
      awslogs-stream-prefix = var.name
      mode                  = "non-blocking"
      max-buffer-size       = "4m"
    }
  }
  firelens_configuration = {
    logDriver = "awsfirelens"
    options = {
      Name              = "cloudwatch_logs"
      region            = var.region
      log_group_name    = try(aws_cloudwatch_log_group.this[0].name, "")
      log_stream_prefix = "${var.name}/"
      auto_create_group = "false"
    }
  }
  log_configuration = var.log_router_image != null ? local.firelens_configuration : local.awslogs_configuration

  # The collector itself logs through awslogs; it runs as the image's non-root user.
  log_router = var.log_router_image == null ? [] : [{
    name                   = "log-router"
    image                  = var.log_router_image
    essential              = true
    readonlyRootFilesystem = true
    user                   = var.container_user
    mountPoints            = [{ sourceVolume = local.tmp_volume, containerPath = "/tmp", readOnly = false }]
    firelensConfiguration  = { type = "fluentbit", options = { enable-ecs-log-metadata = "true" } }
    linuxParameters        = { capabilities = { drop = ["ALL"] } }
    logConfiguration       = local.awslogs_configuration
    memoryReservation      = 64
  }]

  # Shared hardening of both containers: read-only root, non-root, no Linux capabilities.
  hardening = {
    readonlyRootFilesystem = true
    user                   = var.container_user
    privileged             = false
    linuxParameters = {
      initProcessEnabled = true
      capabilities       = { drop = ["ALL"] }
    }
  }

  container_definitions = [
    merge(local.hardening, {
      name      = local.app_container
      image     = var.container_image
      essential = true
      # The app listens on loopback only; nothing outside the task can reach it unencrypted.
      environment = [for k, v in merge(var.environment, {
        PORT        = tostring(var.app_port)
        HOST        = "127.0.0.1"
        USERS_TABLE = split("/", coalesce(var.table_arn, "/"))[1]
        AWS_REGION  = var.region
      }) : { name = k, value = v }]
      mountPoints = [
        { sourceVolume = local.log_volume, containerPath = "/var/log/app", readOnly = false },
        { sourceVolume = local.tmp_volume, containerPath = "/tmp", readOnly = false },
      ]
      healthCheck = {
        command     = var.container_health_check_command
        interval    = 15
        timeout     = 5
        retries     = 3
        startPeriod = 20
      }
      # SIGTERM, then in-flight requests get DRAIN_SECONDS (20) before this SIGKILL deadline.
      stopTimeout      = 30
      logConfiguration = local.log_configuration
    }),
    merge(local.hardening, {
      name      = local.proxy_container
      image     = var.tls_proxy_image
      essential = true
      portMappings = [{
        containerPort = var.container_port
        protocol      = "tcp"
        name          = "https"
      }]
      # nginx (docker/tls-sidecar): keep-alive 75 s > the ALB's 60 s idle timeout; idle upstream
      # connections 60 s < the app's 120 s; X-Forwarded-For believed only from the VPC (the ALB).
      environment = [
        { name = "LISTEN_PORT", value = tostring(var.container_port) },
        { name = "UPSTREAM", value = "127.0.0.1:${var.app_port}" },
        { name = "TLS_DIR", value = "/tmp/tls" },
        { name = "RUN_DIR", value = "/tmp/nginx" },
        { name = "TRUSTED_PROXIES", value = var.vpc_cidr },
        { name = "KEEPALIVE_TIMEOUT", value = "75" },
        { name = "UPSTREAM_KEEPALIVE_TIMEOUT", value = "60" },
        { name = "DRAIN_SECONDS", value = "20" },
      ]
      mountPoints = [
        { sourceVolume = local.tmp_volume, containerPath = "/tmp", readOnly = false },
      ]
      # ECS ignores an image's own HEALTHCHECK: a TLS GET /healthz through nginx to the app.
      healthCheck = {
        command     = ["CMD", "/usr/local/bin/tls-sidecar", "--check"]
        interval    = 15
        timeout     = 5
        retries     = 3
        startPeriod = 10
      }
      dependsOn = [{ containerName = local.app_container, condition = "HEALTHY" }]
      # Stopped before the app (reverse dependency order); both drain for 20 s, inside this.
      stopTimeout      = 30
      logConfiguration = local.log_configuration
    }),
  ]
}

resource "aws_ecs_task_definition" "this" {
  count = local.create ? 1 : 0

  family                   = var.name
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = var.cpu
  memory                   = var.memory
  execution_role_arn       = aws_iam_role.execution[0].arn
  task_role_arn            = aws_iam_role.task[0].arn
  container_definitions    = jsonencode(concat(local.container_definitions, local.log_router))

  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = "X86_64"
  }

  # Task-scoped volumes on the (CMK-encrypted) ephemeral storage: the only writable paths.
  volume {
    name = local.log_volume
  }

  volume {
    name = local.tmp_volume
  }

  tags = var.tags
}

################################################################################
# Security group
################################################################################

resource "aws_security_group" "this" {
  #checkov:skip=CKV2_AWS_5:checkov's graph does not follow count-indexed references; attached to aws_ecs_service.this.
  count = local.create ? 1 : 0

  name_prefix = "${var.name}-tasks-"
  description = "TLS from the load balancer to the tasks; HTTPS to VPC endpoints only"
  vpc_id      = var.vpc_id

  tags = merge(var.tags, { Name = "${var.name}-tasks" })

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_vpc_security_group_ingress_rule" "from_alb" {
  count = local.create ? 1 : 0

  security_group_id            = aws_security_group.this[0].id
  description                  = "TLS from the load balancer"
  ip_protocol                  = "tcp"
  from_port                    = var.container_port
  to_port                      = var.container_port
  referenced_security_group_id = var.alb_security_group_id
}

resource "aws_vpc_security_group_egress_rule" "to_vpc_endpoints" {
  count = local.create ? 1 : 0

  security_group_id = aws_security_group.this[0].id
  description       = "HTTPS to the interface endpoints in the VPC"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = var.vpc_cidr
}

resource "aws_vpc_security_group_egress_rule" "to_gateway_endpoints" {
  for_each = local.create ? var.endpoint_prefix_list_ids : {}

  security_group_id = aws_security_group.this[0].id
  description       = "HTTPS to the ${each.key} gateway endpoint"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  prefix_list_id    = each.value
}

################################################################################
# Service
################################################################################

resource "aws_ecs_service" "this" {
  count = local.create ? 1 : 0

  name                               = var.name
  cluster                            = aws_ecs_cluster.this[0].arn
  task_definition                    = aws_ecs_task_definition.this[0].arn
  desired_count                      = var.desired_count
  launch_type                        = "FARGATE"
  platform_version                   = "LATEST"
  deployment_minimum_healthy_percent = 100
  deployment_maximum_percent         = 200
  health_check_grace_period_seconds  = var.health_check_grace_period_seconds
  enable_execute_command             = false
  enable_ecs_managed_tags            = true
  propagate_tags                     = "SERVICE"
  wait_for_steady_state              = var.wait_for_steady_state

  # A deployment whose tasks never turn healthy is stopped and the previous task definition
  # is restored automatically.
  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }

  network_configuration {
    subnets          = var.subnet_ids
    security_groups  = [aws_security_group.this[0].id]
    assign_public_ip = false
  }

  load_balancer {
    target_group_arn = var.target_group_arn
    container_name   = local.proxy_container
    container_port   = var.container_port
  }

  tags = var.tags

  lifecycle {
    # Autoscaling owns the running count after the first apply.
    ignore_changes = [desired_count]

    # With rollback on, a failed deployment ends in a steady state on the OLD task definition,
    # so wait_for_steady_state alone reports success (terraform-provider-aws #19519, #20858).
    # The service read back after the wait must run the task definition this apply registered.
    postcondition {
      condition     = !var.wait_for_steady_state || self.task_definition == aws_ecs_task_definition.this[0].arn
      error_message = "The ECS deployment failed and the circuit breaker rolled the service back to ${self.task_definition}; see the service events."
    }
  }

  depends_on = [aws_iam_role_policy.execution, aws_iam_role_policy.task]
}

################################################################################
# Autoscaling
################################################################################

resource "aws_appautoscaling_target" "this" {
  count = local.create && var.enable_autoscaling ? 1 : 0

  service_namespace  = "ecs"
  resource_id        = "service/${aws_ecs_cluster.this[0].name}/${aws_ecs_service.this[0].name}"
  scalable_dimension = "ecs:service:DesiredCount"
  min_capacity       = var.desired_count
  max_capacity       = max(var.autoscaling.max_capacity, var.desired_count)

  tags = var.tags
}

resource "aws_appautoscaling_policy" "cpu" {
  count = local.create && var.enable_autoscaling ? 1 : 0

  name               = "${var.name}-cpu"
  policy_type        = "TargetTrackingScaling"
  service_namespace  = aws_appautoscaling_target.this[0].service_namespace
  resource_id        = aws_appautoscaling_target.this[0].resource_id
  scalable_dimension = aws_appautoscaling_target.this[0].scalable_dimension

  target_tracking_scaling_policy_configuration {
    target_value       = var.autoscaling.cpu_target
    scale_in_cooldown  = var.autoscaling.scale_in_cooldown
    scale_out_cooldown = var.autoscaling.scale_out_cooldown

    predefined_metric_specification {
      predefined_metric_type = "ECSServiceAverageCPUUtilization"
    }
  }
}

resource "aws_appautoscaling_policy" "requests" {
  count = local.create && var.enable_autoscaling ? 1 : 0

  name               = "${var.name}-requests"
  policy_type        = "TargetTrackingScaling"
  service_namespace  = aws_appautoscaling_target.this[0].service_namespace
  resource_id        = aws_appautoscaling_target.this[0].resource_id
  scalable_dimension = aws_appautoscaling_target.this[0].scalable_dimension

  target_tracking_scaling_policy_configuration {
    target_value       = var.autoscaling.requests_per_target
    scale_in_cooldown  = var.autoscaling.scale_in_cooldown
    scale_out_cooldown = var.autoscaling.scale_out_cooldown

    predefined_metric_specification {
      predefined_metric_type = "ALBRequestCountPerTarget"
      resource_label         = "${var.alb_arn_suffix}/${var.target_group_arn_suffix}"
    }
  }
}

################################################################################
# IAM
################################################################################

data "aws_iam_policy_document" "assume_ecs_tasks" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["ecs-tasks.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

# Execution role: used by the ECS agent to pull the image and write logs, never by the app.
resource "aws_iam_role" "execution" {
  count = local.create ? 1 : 0

  name_prefix        = "${var.name}-exec-"
  assume_role_policy = data.aws_iam_policy_document.assume_ecs_tasks.json

  tags = var.tags
}

data "aws_iam_policy_document" "execution" {
  count = local.create ? 1 : 0

  statement {
    sid = "EcrAuth"
    #checkov:skip=CKV_AWS_356:ecr:GetAuthorizationToken has no resource-level permissions; AWS requires "*".
    actions   = ["ecr:GetAuthorizationToken"]
    resources = ["*"]
  }

  statement {
    sid       = "EcrPull"
    actions   = ["ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage"]
    resources = ["arn:${local.partition}:ecr:${var.region}:${local.account_id}:repository/*"]
  }

  # GuardDuty Runtime Monitoring injects its agent as a sidecar pulled with this role from an
  # AWS-owned repository (GuardDuty user guide, "ECR repository for GuardDuty agent on AWS
  # Fargate"); limiting pulls to our own account would keep the agent from ever starting.
  dynamic "statement" {
    for_each = var.guardduty_agent_registry_id != null ? [1] : []

    content {
      sid       = "GuardDutyAgentPull"
      actions   = ["ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage"]
      resources = ["arn:${local.partition}:ecr:${var.region}:${var.guardduty_agent_registry_id}:repository/aws-guardduty-agent-fargate"]
    }
  }

  statement {
    sid       = "WriteLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.this[0].arn}:*"]
  }

  dynamic "statement" {
    for_each = var.ecr_kms_key_arn != null ? [1] : []

    content {
      sid       = "DecryptImageLayers"
      actions   = ["kms:Decrypt"]
      resources = [var.ecr_kms_key_arn]
    }
  }
}

resource "aws_iam_role_policy" "execution" {
  count = local.create ? 1 : 0

  name   = "pull-image-write-logs"
  role   = aws_iam_role.execution[0].id
  policy = data.aws_iam_policy_document.execution[0].json
}

# Task role: what the application itself may do. Only named item actions on its own table,
# and only over TLS.
resource "aws_iam_role" "task" {
  count = local.create ? 1 : 0

  name_prefix        = "${var.name}-task-"
  assume_role_policy = data.aws_iam_policy_document.assume_ecs_tasks.json

  tags = var.tags
}

data "aws_iam_policy_document" "task" {
  count = local.create ? 1 : 0

  statement {
    sid       = "UsersTable"
    actions   = var.table_actions
    resources = [var.table_arn, "${var.table_arn}/index/*"]

    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["true"]
    }
  }
}

# FireLens' Fluent Bit writes with the task role.
data "aws_iam_policy_document" "log_router" {
  count = local.create && var.log_router_image != null ? 1 : 0

  statement {
    sid       = "FireLensWritesLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"]
    resources = ["${aws_cloudwatch_log_group.this[0].arn}:*"]
  }
}

resource "aws_iam_role_policy" "log_router" {
  count = local.create && var.log_router_image != null ? 1 : 0

  name   = "firelens-logs"
  role   = aws_iam_role.task[0].id
  policy = data.aws_iam_policy_document.log_router[0].json
}

resource "aws_iam_role_policy" "task" {
  count = local.create ? 1 : 0

  name   = "users-table"
  role   = aws_iam_role.task[0].id
  policy = data.aws_iam_policy_document.task[0].json
}
