data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

locals {
  create     = var.create
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition

  create_trail  = local.create && var.enable_cloudtrail
  create_config = local.create && var.enable_config
  create_bucket = local.create_trail || local.create_config

  bucket_arn = "arn:${local.partition}:s3:::${coalesce(var.cloudtrail_bucket_name, "-")}"
  trail_name = "${var.name}-trail"
  trail_arn  = "arn:${local.partition}:cloudtrail:${var.region}:${local.account_id}:trail/${local.trail_name}"
}

################################################################################
# GuardDuty
################################################################################

resource "aws_guardduty_detector" "this" {
  #checkov:skip=CKV2_AWS_3:A single-account stack; organization-wide GuardDuty is enabled from the org security account.
  count = local.create && var.enable_guardduty ? 1 : 0

  enable                       = true
  finding_publishing_frequency = "FIFTEEN_MINUTES"

  tags = var.tags
}

resource "aws_guardduty_detector_feature" "runtime_monitoring" {
  count = local.create && var.enable_guardduty && var.enable_guardduty_runtime_monitoring ? 1 : 0

  detector_id = aws_guardduty_detector.this[0].id
  name        = "RUNTIME_MONITORING"
  status      = "ENABLED"

  additional_configuration {
    name   = "ECS_FARGATE_AGENT_MANAGEMENT"
    status = "ENABLED"
  }
}

################################################################################
# Log bucket (CloudTrail and Config)
################################################################################

data "aws_iam_policy_document" "bucket" {
  count = local.create_bucket ? 1 : 0

  statement {
    sid       = "ServicesReadAcl"
    actions   = ["s3:GetBucketAcl", "s3:ListBucket"]
    resources = [local.bucket_arn]

    principals {
      type        = "Service"
      identifiers = ["cloudtrail.amazonaws.com", "config.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }

  statement {
    sid       = "CloudTrailWrite"
    actions   = ["s3:PutObject"]
    resources = ["${local.bucket_arn}/cloudtrail/AWSLogs/${local.account_id}/*"]

    principals {
      type        = "Service"
      identifiers = ["cloudtrail.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceArn"
      values   = [local.trail_arn]
    }
  }

  # Used when Config delivers as its service principal (service-linked role or another
  # account); with the custom role below it delivers as that role (see aws_iam_role_policy.config).
  statement {
    sid       = "ConfigWrite"
    actions   = ["s3:PutObject"]
    resources = ["${local.bucket_arn}/config/AWSLogs/${local.account_id}/*"]

    principals {
      type        = "Service"
      identifiers = ["config.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

module "bucket" {
  source = "../log_bucket"

  create                             = local.create_bucket
  bucket                             = var.cloudtrail_bucket_name
  force_destroy                      = var.force_destroy_buckets
  kms_key_arn                        = var.cloudtrail_kms_key_arn
  transition                         = { days = 90, storage_class = "GLACIER" }
  expiration_days                    = var.cloudtrail_expiration_days
  noncurrent_version_expiration_days = 90
  policy_documents                   = data.aws_iam_policy_document.bucket[*].json

  tags = var.tags
}

################################################################################
# CloudTrail
################################################################################

resource "aws_cloudwatch_log_group" "cloudtrail" {
  count = local.create_trail ? 1 : 0

  name              = "/aws/cloudtrail/${local.trail_name}"
  retention_in_days = var.log_retention_in_days
  kms_key_id        = var.log_kms_key_arn

  tags = var.tags
}

data "aws_iam_policy_document" "cloudtrail_assume" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["cloudtrail.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

resource "aws_iam_role" "cloudtrail" {
  count = local.create_trail ? 1 : 0

  name_prefix        = "${var.name}-trail-"
  assume_role_policy = data.aws_iam_policy_document.cloudtrail_assume.json

  tags = var.tags
}

resource "aws_iam_role_policy" "cloudtrail" {
  count = local.create_trail ? 1 : 0

  name = "write-trail-log-group"
  role = aws_iam_role.cloudtrail[0].id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect   = "Allow"
      Action   = ["logs:CreateLogStream", "logs:PutLogEvents"]
      Resource = "${aws_cloudwatch_log_group.cloudtrail[0].arn}:*"
    }]
  })
}

resource "aws_cloudtrail" "this" {
  #checkov:skip=CKV2_AWS_10:checkov's graph does not follow count-indexed references; cloud_watch_logs_group_arn sends the trail to aws_cloudwatch_log_group.cloudtrail.
  count = local.create_trail ? 1 : 0

  name                          = local.trail_name
  s3_bucket_name                = module.bucket.policy_id
  s3_key_prefix                 = "cloudtrail"
  is_multi_region_trail         = true
  include_global_service_events = true
  enable_log_file_validation    = true
  kms_key_id                    = var.cloudtrail_kms_key_arn
  cloud_watch_logs_group_arn    = "${aws_cloudwatch_log_group.cloudtrail[0].arn}:*"
  cloud_watch_logs_role_arn     = aws_iam_role.cloudtrail[0].arn

  # SNS notifications per delivered file are noise; alarms come from the log group instead.
  #checkov:skip=CKV_AWS_252:No SNS per log file delivery; security alerting goes through GuardDuty and Security Hub.
  dynamic "event_selector" {
    for_each = length(var.cloudtrail_data_event_table_arns) > 0 ? [1] : []

    content {
      read_write_type           = "All"
      include_management_events = true

      data_resource {
        type   = "AWS::DynamoDB::Table"
        values = var.cloudtrail_data_event_table_arns
      }
    }
  }

  tags = var.tags
}

################################################################################
# Security Hub
################################################################################

resource "aws_securityhub_account" "this" {
  count = local.create && var.enable_securityhub ? 1 : 0

  enable_default_standards = false
  auto_enable_controls     = true
}

resource "aws_securityhub_standards_subscription" "fsbp" {
  count = local.create && var.enable_securityhub ? 1 : 0

  standards_arn = "arn:${local.partition}:securityhub:${var.region}::standards/aws-foundational-security-best-practices/v/1.0.0"

  depends_on = [aws_securityhub_account.this]
}

################################################################################
# AWS Config
################################################################################

data "aws_iam_policy_document" "config_assume" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["config.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

resource "aws_iam_role" "config" {
  count = local.create_config ? 1 : 0

  name_prefix        = "${var.name}-config-"
  assume_role_policy = data.aws_iam_policy_document.config_assume.json

  tags = var.tags
}

resource "aws_iam_role_policy_attachment" "config" {
  count = local.create_config ? 1 : 0

  role       = aws_iam_role.config[0].name
  policy_arn = "arn:${local.partition}:iam::aws:policy/service-role/AWS_ConfigRole"
}

# With a custom role and a bucket in the same account, Config writes AS THAT ROLE, so the role
# itself needs the write path (AWS Config developer guide, "Permissions for the IAM role assigned
# to AWS Config": s3:PutObject + s3:GetBucketAcl on the bucket, and for an SSE-KMS bucket
# kms:GenerateDataKey/Decrypt on the key). AWS_ConfigRole grants neither.
data "aws_iam_policy_document" "config_delivery" {
  count = local.create_config ? 1 : 0

  statement {
    sid       = "ConfigBucketAcl"
    actions   = ["s3:GetBucketAcl"]
    resources = [local.bucket_arn]
  }

  statement {
    sid       = "ConfigDelivery"
    actions   = ["s3:PutObject", "s3:PutObjectAcl"]
    resources = ["${local.bucket_arn}/config/AWSLogs/${local.account_id}/*"]

    condition {
      test     = "StringLike"
      variable = "s3:x-amz-acl"
      values   = ["bucket-owner-full-control"]
    }
  }

  statement {
    sid       = "ConfigDeliveryKey"
    actions   = ["kms:GenerateDataKey", "kms:Decrypt"]
    resources = [var.cloudtrail_kms_key_arn]
  }
}

resource "aws_iam_role_policy" "config" {
  count = local.create_config ? 1 : 0

  name   = "deliver-to-audit-bucket"
  role   = aws_iam_role.config[0].id
  policy = data.aws_iam_policy_document.config_delivery[0].json
}

resource "aws_config_configuration_recorder" "this" {
  count = local.create_config ? 1 : 0

  name     = var.name
  role_arn = aws_iam_role.config[0].arn

  recording_group {
    all_supported                 = true
    include_global_resource_types = var.config_include_global_resource_types
  }
}

resource "aws_config_delivery_channel" "this" {
  count = local.create_config ? 1 : 0

  name           = var.name
  s3_bucket_name = module.bucket.policy_id
  s3_key_prefix  = "config"
  s3_kms_key_arn = var.cloudtrail_kms_key_arn

  snapshot_delivery_properties {
    delivery_frequency = "Six_Hours"
  }

  depends_on = [aws_config_configuration_recorder.this, aws_iam_role_policy.config]
}

resource "aws_config_configuration_recorder_status" "this" {
  #checkov:skip=CKV2_AWS_45:checkov's graph does not follow count-indexed references; the recorder sets all_supported and include_global_resource_types.
  count = local.create_config ? 1 : 0

  name       = aws_config_configuration_recorder.this[0].name
  is_enabled = true

  depends_on = [aws_config_delivery_channel.this]
}

# Managed rules that watch the promises this stack makes.
resource "aws_config_config_rule" "this" {
  for_each = local.create_config ? toset([
    "DYNAMODB_PITR_ENABLED",
    "DYNAMODB_TABLE_ENCRYPTED_KMS",
    "ALB_HTTP_TO_HTTPS_REDIRECTION_CHECK",
    "ALB_WAF_ENABLED",
    "ALB_HTTP_DROP_INVALID_HEADER_ENABLED",
    "ELB_DELETION_PROTECTION_ENABLED",
    "CLOUD_TRAIL_ENABLED",
    "CLOUD_TRAIL_LOG_FILE_VALIDATION_ENABLED",
    "CMK_BACKING_KEY_ROTATION_ENABLED",
    "VPC_FLOW_LOGS_ENABLED",
    "VPC_DEFAULT_SECURITY_GROUP_CLOSED",
    "ECS_CONTAINERS_READONLY_ACCESS",
    "ECS_CONTAINERS_NONPRIVILEGED",
  ]) : toset([])

  name = "${var.name}-${lower(replace(each.value, "_", "-"))}"

  source {
    owner             = "AWS"
    source_identifier = each.value
  }

  tags = var.tags

  depends_on = [aws_config_configuration_recorder.this]
}

################################################################################
# IAM Access Analyzer
################################################################################

resource "aws_accessanalyzer_analyzer" "this" {
  count = local.create && var.enable_access_analyzer ? 1 : 0

  analyzer_name = "${var.name}-account"
  type          = "ACCOUNT"

  tags = var.tags
}
