data "aws_caller_identity" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id

  default_tags = merge({
    Project            = var.name
    Environment        = var.environment
    ManagedBy          = "terraform"
    DataClassification = "highly-sensitive"
    Repository         = "sre-monorepo/infra"
  }, var.tags)

  # One customer-managed key per kind of data, so a key policy names exactly the service that
  # may use it and one key's compromise or deletion has a bounded blast radius.
  keys = {
    logs = {
      description           = "CloudWatch log groups of ${var.name} (flow, WAF, service, trail)"
      service_principals    = []
      service_extra_actions = []
      via_services          = []
      log_group_arn_pattern = "arn:aws:logs:${var.region}:${local.account_id}:log-group:*"
    }
    dynamodb = {
      description           = "DynamoDB table ${var.table_name}"
      service_principals    = []
      service_extra_actions = []
      via_services          = ["dynamodb.${var.region}.amazonaws.com"]
      log_group_arn_pattern = null
    }
    backup = {
      description           = "AWS Backup vault of ${var.name}"
      service_principals    = []
      service_extra_actions = []
      via_services          = ["backup.${var.region}.amazonaws.com"]
      log_group_arn_pattern = null
    }
    ecr = {
      description           = "ECR images of ${var.name}"
      service_principals    = []
      service_extra_actions = []
      via_services          = ["ecr.${var.region}.amazonaws.com"]
      log_group_arn_pattern = null
    }
    audit = {
      description           = "CloudTrail and AWS Config deliveries"
      service_principals    = ["cloudtrail.amazonaws.com", "config.amazonaws.com"]
      service_extra_actions = []
      via_services          = ["s3.${var.region}.amazonaws.com"]
      log_group_arn_pattern = null
    }
    alarms = {
      description           = "SNS alarm topic of ${var.name}"
      service_principals    = ["cloudwatch.amazonaws.com"]
      service_extra_actions = []
      via_services          = ["sns.${var.region}.amazonaws.com"]
      log_group_arn_pattern = null
    }
    fargate = {
      description           = "Fargate ephemeral storage of ${var.name}"
      service_principals    = ["fargate.amazonaws.com"]
      service_extra_actions = ["kms:CreateGrant"]
      via_services          = []
      log_group_arn_pattern = null
    }
  }
  enabled_keys = { for k, v in local.keys : k => v if k != "fargate" || var.enable_ephemeral_storage_cmk }
}

################################################################################
# Keys
################################################################################

module "kms" {
  source   = "../../modules/kms"
  for_each = local.enabled_keys

  region                = var.region
  alias_name            = "${var.name}-${each.key}"
  description           = each.value.description
  service_principals    = each.value.service_principals
  service_extra_actions = each.value.service_extra_actions
  via_services          = each.value.via_services
  log_group_arn_pattern = each.value.log_group_arn_pattern
}

module "kms_dr" {
  source   = "../../modules/kms"
  for_each = toset(concat(var.create_backup && var.create_cross_region_copy ? ["backup"] : [], var.enable_dynamodb_replica ? ["dynamodb"] : []))
  providers = {
    aws = aws.dr
  }

  region       = var.dr_region
  alias_name   = "${var.name}-${each.key}-dr"
  description  = "${each.key} of ${var.name} in the disaster-recovery region"
  via_services = ["${each.key}.${var.dr_region}.amazonaws.com"]
}

################################################################################
# Network
################################################################################

module "network" {
  source = "../../modules/network"

  region                      = var.region
  name                        = var.name
  cidr                        = var.vpc_cidr
  azs                         = var.azs
  enable_ipv6                 = var.enable_ipv6
  interface_endpoint_services = var.interface_endpoint_services
  flow_log_kms_key_arn        = module.kms["logs"].arn
  flow_log_retention_in_days  = var.log_retention_in_days
}

################################################################################
# Edge
################################################################################

module "edge" {
  source = "../../modules/edge"

  name                       = var.name
  domain_name                = var.domain_name
  zone_id                    = var.route53_zone_id
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
  source = "../../modules/service"

  region                        = var.region
  name                          = var.name
  ecr_kms_key_arn               = module.kms["ecr"].arn
  ephemeral_storage_kms_key_arn = var.enable_ephemeral_storage_cmk ? module.kms["fargate"].arn : null
  container_image               = var.container_image
  tls_proxy_image               = var.tls_proxy_image
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
  target_group_arn              = module.edge.target_group_arn
  alb_arn_suffix                = module.edge.arn_suffix
  target_group_arn_suffix       = module.edge.target_group_arn_suffix
  table_arn                     = module.data.table_arn
  wait_for_steady_state         = var.wait_for_steady_state

  # The listener must exist before the service registers targets in its group.
  depends_on = [module.edge]
}

################################################################################
# Data
################################################################################

module "data" {
  source = "../../modules/data"
  providers = {
    aws    = aws
    aws.dr = aws.dr
  }

  name                         = var.table_name
  kms_key_arn                  = module.kms["dynamodb"].arn
  deletion_protection_enabled  = var.enable_deletion_protection
  create_table_resource_policy = var.create_table_resource_policy
  replica_regions              = var.enable_dynamodb_replica ? [{ region_name = var.dr_region, kms_key_arn = module.kms_dr["dynamodb"].arn }] : []
  create_backup                = var.create_backup
  create_backup_selection      = var.create_backup_selection
  backup_kms_key_arn           = module.kms["backup"].arn
  create_cross_region_copy     = var.create_cross_region_copy
  dr_backup_kms_key_arn        = try(module.kms_dr["backup"].arn, null)
  force_destroy_vaults         = var.force_destroy_backup_vaults
}

################################################################################
# Protective services
################################################################################

module "security" {
  source = "../../modules/security"

  region                              = var.region
  name                                = var.name
  enable_guardduty                    = var.enable_guardduty
  enable_guardduty_runtime_monitoring = var.enable_guardduty_runtime_monitoring
  enable_cloudtrail                   = var.enable_cloudtrail
  cloudtrail_bucket_name              = "${var.name}-audit-${local.account_id}-${var.region}"
  cloudtrail_kms_key_arn              = module.kms["audit"].arn
  cloudtrail_data_event_table_arns    = [module.data.table_arn]
  log_kms_key_arn                     = module.kms["logs"].arn
  log_retention_in_days               = var.log_retention_in_days
  force_destroy_buckets               = var.force_destroy
  enable_securityhub                  = var.enable_securityhub
  enable_config                       = var.enable_config
  enable_access_analyzer              = var.enable_access_analyzer
}

################################################################################
# Observability
################################################################################

module "observability" {
  source = "../../modules/observability"

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
}
