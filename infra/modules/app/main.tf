data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

# Zones of the region this stack runs in, so the same code applies in the primary and the DR
# region without a hard-coded list.
data "aws_availability_zones" "this" {
  #checkov:skip=CKV_AWS_394:Only the first three zone names (sorted) are used; a zone AWS adds later gets a later letter and never changes that set. Set azs to pin zones explicitly.
  count = length(var.azs) == 0 ? 1 : 0

  state = "available"

  # Availability Zones only: Local and Wavelength Zones lack most services (and need opt-in).
  filter {
    name   = "zone-type"
    values = ["availability-zone"]
  }
}

locals {
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition
  azs        = length(var.azs) > 0 ? var.azs : slice(sort(data.aws_availability_zones.this[0].names), 0, 3)

  # One customer-managed key per kind of data, so a key policy names exactly the service that
  # may use it and one key's compromise or deletion has a bounded blast radius.
  keys = {
    logs = {
      description           = "CloudWatch log groups of ${var.name} (flow, WAF, service, Container Insights)"
      service_principals    = []
      service_statements    = []
      via_services          = []
      log_group_arn_pattern = "arn:${local.partition}:logs:${var.region}:${local.account_id}:log-group:*"
    }
    dynamodb = {
      description           = "DynamoDB table ${var.table_name}"
      service_principals    = []
      service_statements    = []
      via_services          = ["dynamodb.${var.region}.amazonaws.com"]
      log_group_arn_pattern = null
    }
    backup = {
      description           = "AWS Backup vault of ${var.name}"
      service_principals    = []
      service_statements    = []
      via_services          = ["backup.${var.region}.amazonaws.com"]
      log_group_arn_pattern = null
    }
    alarms = {
      description           = "SNS alarm topic of ${var.name}"
      service_principals    = ["cloudwatch.amazonaws.com", "events.amazonaws.com"]
      service_statements    = []
      via_services          = ["sns.${var.region}.amazonaws.com"]
      log_group_arn_pattern = null
    }
    fargate = {
      description        = "Fargate ephemeral storage of ${var.name}"
      service_principals = []
      # Word for word the policy of the ECS developer guide, "Customer managed keys for AWS
      # Fargate ephemeral storage": Fargate asks for data keys without plaintext and creates a
      # Decrypt-only grant, both bound to this account's cluster by encryption context.
      service_statements = [
        {
          sid                = "FargateGenerateDataKey"
          service_principals = ["fargate.amazonaws.com"]
          actions            = ["kms:GenerateDataKeyWithoutPlaintext"]
          conditions = [
            { test = "StringEquals", variable = "kms:EncryptionContext:aws:ecs:clusterAccount", values = [local.account_id] },
            { test = "StringEquals", variable = "kms:EncryptionContext:aws:ecs:clusterName", values = [var.name] },
          ]
        },
        {
          sid                = "FargateCreateGrant"
          service_principals = ["fargate.amazonaws.com"]
          actions            = ["kms:CreateGrant"]
          conditions = [
            { test = "StringEquals", variable = "kms:EncryptionContext:aws:ecs:clusterAccount", values = [local.account_id] },
            { test = "StringEquals", variable = "kms:EncryptionContext:aws:ecs:clusterName", values = [var.name] },
            { test = "ForAllValues:StringEquals", variable = "kms:GrantOperations", values = ["Decrypt"] },
          ]
        },
        {
          sid                = "FargateDescribeKey"
          service_principals = ["fargate.amazonaws.com"]
          actions            = ["kms:DescribeKey"]
          conditions         = []
        },
      ]
      via_services          = []
      log_group_arn_pattern = null
    }
  }
  enabled_keys = { for k, v in local.keys : k => v if k != "fargate" || var.enable_ephemeral_storage_cmk }

  # AWS accounts that host the GuardDuty Fargate agent, per region (GuardDuty user guide, "ECR
  # repository for GuardDuty agent on AWS Fargate (Amazon ECS only)").
  guardduty_agent_registries = {
    us-east-1    = "593207742271"
    us-east-2    = "307168627858"
    us-west-1    = "684579721401"
    us-west-2    = "733349766148"
    ca-central-1 = "354763396469"
    eu-west-1    = "694911143906"
    eu-west-2    = "892757235363"
    eu-west-3    = "665651866788"
    eu-north-1   = "591436053604"
    ap-south-1   = "251508486986"
    sa-east-1    = "758426053663"
  }

  # Failed backup, copy and restore(-test) jobs reach the alarm topic (AWS Backup developer
  # guide, "Monitoring AWS Backup events using EventBridge").
  backup_event_rules = var.create_backup ? {
    backup-job-failed = {
      description   = "AWS Backup, copy or restore job of ${var.name} failed"
      event_pattern = jsonencode({ source = ["aws.backup"], "detail-type" = ["Backup Job State Change", "Copy Job State Change", "Restore Job State Change"], detail = { state = ["FAILED", "ABORTED", "EXPIRED"] } })
    }
  } : {}

  # image URI -> repository and tag, for the existence check below.
  images = !var.verify_images ? {} : {
    for k, uri in { app = var.container_image, tls-proxy = var.tls_proxy_image } : k => regex("^[0-9]{12}\\.dkr\\.ecr\\.[a-z0-9-]+\\.amazonaws\\.com/(?P<repository>[^:@]+)(?::(?P<tag>[^@]+))?(?:@(?P<digest>sha256:[a-f0-9]{64}))?$", uri)
  }
}

################################################################################
# Keys
################################################################################

module "kms" {
  source   = "../kms"
  for_each = local.enabled_keys

  region                 = var.region
  alias_name             = "${var.name}-${each.key}"
  description            = each.value.description
  key_administrator_arns = var.kms_key_administrator_arns
  service_principals     = each.value.service_principals
  service_statements     = each.value.service_statements
  via_services           = each.value.via_services
  log_group_arn_pattern  = each.value.log_group_arn_pattern
}

module "kms_dr" {
  source   = "../kms"
  for_each = toset(concat(var.create_backup && var.create_cross_region_copy ? ["backup"] : [], var.enable_dynamodb_replica ? ["dynamodb"] : []))
  providers = {
    aws = aws.dr
  }

  region                 = var.dr_region
  alias_name             = "${var.name}-${each.key}-dr"
  description            = "${each.key} of ${var.name} in the disaster-recovery region"
  key_administrator_arns = var.kms_key_administrator_arns
  via_services           = ["${each.key}.${var.dr_region}.amazonaws.com"]
}

################################################################################
# Images
################################################################################

# A task definition that names an image ECR no longer holds plans fine and then fails every
# task launch; read the image so the plan fails instead (and the tag is proven immutable).
data "aws_ecr_image" "this" {
  for_each = local.images

  repository_name = each.value.repository
  image_tag       = each.value.digest == null || each.value.digest == "" ? each.value.tag : null
  image_digest    = each.value.digest == null || each.value.digest == "" ? null : each.value.digest
}

################################################################################
# Network
################################################################################

module "network" {
  source = "../network"

  region                      = var.region
  name                        = var.name
  cidr                        = var.vpc_cidr
  azs                         = local.azs
  enable_ipv6                 = var.enable_ipv6
  interface_endpoint_services = var.interface_endpoint_services
  flow_log_kms_key_arn        = module.kms["logs"].arn
  flow_log_retention_in_days  = var.log_retention_in_days
}

################################################################################
# Edge
################################################################################

module "edge" {
  source = "../edge"

  name                       = var.name
  domain_name                = var.domain_name
  zone_id                    = var.route53_zone_id
  dns_failover_role          = var.dns_failover_role
  vpc_id                     = module.network.vpc_id
  subnet_ids                 = module.network.public_subnet_ids
  ip_address_type            = var.enable_ipv6 ? "dualstack" : "ipv4"
  ssl_policy                 = var.ssl_policy
  enable_deletion_protection = var.enable_deletion_protection
  target_cidrs               = module.network.private_subnet_cidrs
  health_check               = { path = var.health_check_path }
  access_logs_bucket_name    = "${var.name}-alb-logs-${local.account_id}-${var.region}"
  force_destroy_buckets      = var.force_destroy
  waf_rate_limit             = var.waf_rate_limit
  enable_waf_logging         = var.enable_waf_logging
  log_kms_key_arn            = module.kms["logs"].arn
  log_retention_in_days      = var.log_retention_in_days
  enable_shield_advanced     = var.enable_shield_advanced
}

################################################################################
# Service
################################################################################

module "service" {
  source = "../service"

  region                        = var.region
  name                          = var.name
  ecr_kms_key_arn               = var.ecr_kms_key_arn
  ephemeral_storage_kms_key_arn = var.enable_ephemeral_storage_cmk ? module.kms["fargate"].arn : null
  container_image               = var.container_image
  tls_proxy_image               = var.tls_proxy_image
  log_router_image              = var.log_router_image
  log_kms_key_arn               = module.kms["logs"].arn
  log_retention_in_days         = var.log_retention_in_days
  desired_count                 = var.desired_count
  enable_autoscaling            = var.enable_autoscaling
  autoscaling                   = { max_capacity = var.max_count }
  vpc_id                        = module.network.vpc_id
  vpc_cidr                      = module.network.vpc_cidr_block
  subnet_ids                    = module.network.private_subnet_ids
  endpoint_prefix_list_ids      = module.network.gateway_endpoint_prefix_list_ids
  alb_security_group_id         = module.edge.security_group_id
  # Read through the listener, so the service waits for it (ECS refuses a target group that no
  # listener forwards to) without a module-wide depends_on, which would defer every data
  # source of the module to apply time.
  target_group_arn            = module.edge.listener_target_group_arn
  alb_arn_suffix              = module.edge.arn_suffix
  target_group_arn_suffix     = module.edge.target_group_arn_suffix
  table_arn                   = module.data.table_arn
  wait_for_steady_state       = var.wait_for_steady_state
  guardduty_agent_registry_id = var.enable_guardduty_runtime_monitoring ? lookup(local.guardduty_agent_registries, var.region, null) : null
}

################################################################################
# Data
################################################################################

module "data" {
  source = "../data"
  providers = {
    aws    = aws
    aws.dr = aws.dr
  }

  name                         = var.table_name
  create_table                 = var.create_table
  kms_key_arn                  = module.kms["dynamodb"].arn
  deletion_protection_enabled  = var.enable_deletion_protection
  create_table_resource_policy = var.create_table_resource_policy
  replica_regions              = var.enable_dynamodb_replica ? [{ region_name = var.dr_region, kms_key_arn = module.kms_dr["dynamodb"].arn }] : []
  create_backup                = var.create_backup
  create_backup_selection      = var.create_backup_selection
  create_restore_testing       = var.create_restore_testing
  backup_kms_key_arn           = module.kms["backup"].arn
  create_cross_region_copy     = var.create_cross_region_copy
  dr_backup_kms_key_arn        = try(module.kms_dr["backup"].arn, null)
  force_destroy_vaults         = var.force_destroy_backup_vaults
}

################################################################################
# Observability
################################################################################

module "observability" {
  source = "../observability"

  region                  = var.region
  name                    = var.name
  sns_kms_key_arn         = module.kms["alarms"].arn
  alarm_emails            = var.alarm_emails
  alb_arn_suffix          = module.edge.arn_suffix
  target_group_arn_suffix = module.edge.target_group_arn_suffix
  table_name              = module.data.table_name
  web_acl_name            = module.edge.web_acl_name
  cluster_name            = module.service.cluster_name
  service_name            = module.service.service_name
  event_rules             = local.backup_event_rules
}
