data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

locals {
  create     = var.create
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition

  create_trail  = local.create && var.enable_cloudtrail
  create_config = local.create && var.enable_config
  create_bucket = local.create_trail || local.create_config

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

resource "aws_s3_bucket" "this" {
  count = local.create_bucket ? 1 : 0

  #checkov:skip=CKV_AWS_144:The trail is multi-region already; a replica bucket belongs in a separate log-archive account, out of this stack.
  #checkov:skip=CKV_AWS_18:This is the audit log bucket; S3 server access logs of it would need another bucket for little value.
  #checkov:skip=CKV2_AWS_62:Nothing consumes events of the audit bucket.
  bucket        = var.cloudtrail_bucket_name
  force_destroy = var.force_destroy_buckets

  tags = var.tags
}

resource "aws_s3_bucket_ownership_controls" "this" {
  count = local.create_bucket ? 1 : 0

  bucket = aws_s3_bucket.this[0].id

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_public_access_block" "this" {
  count = local.create_bucket ? 1 : 0

  bucket                  = aws_s3_bucket.this[0].id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_versioning" "this" {
  count = local.create_bucket ? 1 : 0

  bucket = aws_s3_bucket.this[0].id

  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "this" {
  count = local.create_bucket ? 1 : 0

  bucket = aws_s3_bucket.this[0].id

  rule {
    bucket_key_enabled = true

    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = var.cloudtrail_kms_key_arn
    }
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "this" {
  count = local.create_bucket ? 1 : 0

  bucket = aws_s3_bucket.this[0].id

  rule {
    id     = "archive"
    status = "Enabled"

    filter {
      prefix = ""
    }

    transition {
      days          = 90
      storage_class = "GLACIER"
    }

    expiration {
      days = var.cloudtrail_expiration_days
    }

    noncurrent_version_expiration {
      noncurrent_days = 90
    }

    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }
  }
}

data "aws_iam_policy_document" "bucket" {
  count = local.create_bucket ? 1 : 0

  statement {
    sid       = "ServicesReadAcl"
    actions   = ["s3:GetBucketAcl", "s3:ListBucket"]
    resources = [aws_s3_bucket.this[0].arn]

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
    resources = ["${aws_s3_bucket.this[0].arn}/cloudtrail/AWSLogs/${local.account_id}/*"]

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

  statement {
    sid       = "ConfigWrite"
    actions   = ["s3:PutObject"]
    resources = ["${aws_s3_bucket.this[0].arn}/config/AWSLogs/${local.account_id}/*"]

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

  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["s3:*"]
    resources = [aws_s3_bucket.this[0].arn, "${aws_s3_bucket.this[0].arn}/*"]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

resource "aws_s3_bucket_policy" "this" {
  count = local.create_bucket ? 1 : 0

  bucket = aws_s3_bucket.this[0].id
  policy = data.aws_iam_policy_document.bucket[0].json

  depends_on = [aws_s3_bucket_public_access_block.this]
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
  s3_bucket_name                = aws_s3_bucket.this[0].id
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

  depends_on = [aws_s3_bucket_policy.this]
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

resource "aws_config_configuration_recorder" "this" {
  count = local.create_config ? 1 : 0

  name     = var.name
  role_arn = aws_iam_role.config[0].arn

  recording_group {
    all_supported                 = true
    include_global_resource_types = true
  }
}

resource "aws_config_delivery_channel" "this" {
  count = local.create_config ? 1 : 0

  name           = var.name
  s3_bucket_name = aws_s3_bucket.this[0].id
  s3_key_prefix  = "config"
  s3_kms_key_arn = var.cloudtrail_kms_key_arn

  snapshot_delivery_properties {
    delivery_frequency = "Six_Hours"
  }

  depends_on = [aws_config_configuration_recorder.this, aws_s3_bucket_policy.this]
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
