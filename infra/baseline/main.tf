data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition

  keys = {
    audit = {
      description           = "CloudTrail and AWS Config deliveries (${var.region})"
      service_principals    = ["cloudtrail.amazonaws.com", "config.amazonaws.com"]
      via_services          = ["s3.${var.region}.amazonaws.com"]
      log_group_arn_pattern = null
    }
    logs = {
      description           = "CloudWatch log groups of the account baseline (${var.region})"
      service_principals    = []
      via_services          = []
      log_group_arn_pattern = "arn:${local.partition}:logs:${var.region}:${local.account_id}:log-group:*"
    }
    alarms = {
      description           = "SNS topic of security findings (${var.region})"
      service_principals    = ["events.amazonaws.com"]
      via_services          = ["sns.${var.region}.amazonaws.com"]
      log_group_arn_pattern = null
    }
  }

  # Findings reach people through EventBridge (GuardDuty user guide, "Processing GuardDuty
  # findings with Amazon EventBridge"; Security Hub user guide, "EventBridge event formats").
  event_rules = merge(
    var.enable_guardduty ? {
      guardduty-finding = {
        description   = "GuardDuty finding of severity 7 (high) or more"
        event_pattern = jsonencode({ source = ["aws.guardduty"], "detail-type" = ["GuardDuty Finding"], detail = { severity = [{ numeric = [">=", 7] }] } })
      }
    } : {},
    var.enable_securityhub ? {
      securityhub-finding = {
        description   = "New active Security Hub finding labelled HIGH or CRITICAL"
        event_pattern = jsonencode({ source = ["aws.securityhub"], "detail-type" = ["Security Hub Findings - Imported"], detail = { findings = { Severity = { Label = ["HIGH", "CRITICAL"] }, Workflow = { Status = ["NEW"] }, RecordState = ["ACTIVE"] } } })
      }
    } : {},
    var.enable_config ? {
      config-noncompliant = {
        description   = "An AWS Config rule turned NON_COMPLIANT"
        event_pattern = jsonencode({ source = ["aws.config"], "detail-type" = ["Config Rules Compliance Change"], detail = { newEvaluationResult = { complianceType = ["NON_COMPLIANT"] } } })
      }
    } : {},
  )
}

################################################################################
# Keys
################################################################################

module "kms" {
  source   = "../modules/kms"
  for_each = local.keys

  region                 = var.region
  alias_name             = "${var.name}-baseline-${each.key}"
  description            = each.value.description
  key_administrator_arns = var.kms_key_administrator_arns
  service_principals     = each.value.service_principals
  via_services           = each.value.via_services
  log_group_arn_pattern  = each.value.log_group_arn_pattern
}

################################################################################
# Protective services (one of each per account and region)
################################################################################

module "security" {
  source = "../modules/security"

  region                               = var.region
  name                                 = var.name
  enable_guardduty                     = var.enable_guardduty
  enable_guardduty_runtime_monitoring  = var.enable_guardduty_runtime_monitoring
  enable_cloudtrail                    = var.enable_cloudtrail
  cloudtrail_bucket_name               = "${var.name}-audit-${local.account_id}-${var.region}"
  cloudtrail_kms_key_arn               = module.kms["audit"].arn
  cloudtrail_data_event_table_arns     = var.cloudtrail_data_event_table_arns
  log_kms_key_arn                      = module.kms["logs"].arn
  log_retention_in_days                = var.log_retention_in_days
  force_destroy_buckets                = var.force_destroy
  enable_securityhub                   = var.enable_securityhub
  enable_config                        = var.enable_config
  config_include_global_resource_types = var.config_include_global_resource_types
  enable_access_analyzer               = var.enable_access_analyzer
}

################################################################################
# Finding routing
################################################################################

module "findings" {
  source = "../modules/observability"

  region          = var.region
  name            = "${var.name}-security"
  create_alarms   = false
  sns_kms_key_arn = module.kms["alarms"].arn
  alarm_emails    = var.alarm_emails
  event_rules     = local.event_rules
}
