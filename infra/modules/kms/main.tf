data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

locals {
  create     = var.create
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition
}

################################################################################
# Key policy
################################################################################

data "aws_iam_policy_document" "this" {
  #checkov:skip=CKV_AWS_111:A key policy's "*" resource is the key itself; writes are limited to this account and named services.
  #checkov:skip=CKV_AWS_356:In a key policy "*" means this key only; there is no other resource to name.
  #checkov:skip=CKV_AWS_109:The account-root statement is AWS's default key policy; it delegates to IAM and keeps the key manageable.
  count = local.create ? 1 : 0

  # The account keeps administrative control (AWS's default statement); without it a key can
  # become unmanageable. Use of the key by people and roles still needs an IAM policy.
  statement {
    sid       = "AccountAdministration"
    actions   = ["kms:*"]
    resources = ["*"]

    principals {
      type        = "AWS"
      identifiers = ["arn:${local.partition}:iam::${local.account_id}:root"]
    }
  }

  dynamic "statement" {
    for_each = length(var.service_principals) > 0 ? [1] : []

    content {
      sid       = "ServiceUse"
      actions   = concat(["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"], var.service_extra_actions)
      resources = ["*"]

      principals {
        type        = "Service"
        identifiers = var.service_principals
      }

      condition {
        test     = "StringEquals"
        variable = "aws:SourceAccount"
        values   = [local.account_id]
      }
    }
  }

  dynamic "statement" {
    for_each = var.log_group_arn_pattern != null ? [1] : []

    content {
      sid       = "CloudWatchLogsUse"
      actions   = ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"]
      resources = ["*"]

      principals {
        type        = "Service"
        identifiers = ["logs.amazonaws.com", "logs.${var.region}.amazonaws.com"]
      }

      condition {
        test     = "ArnLike"
        variable = "kms:EncryptionContext:aws:logs:arn"
        values   = [var.log_group_arn_pattern]
      }
    }
  }

  dynamic "statement" {
    for_each = length(var.via_services) > 0 ? [1] : []

    content {
      sid       = "AccountUseViaServices"
      actions   = ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey", "kms:CreateGrant"]
      resources = ["*"]

      principals {
        type        = "AWS"
        identifiers = ["arn:${local.partition}:iam::${local.account_id}:root"]
      }

      condition {
        test     = "StringEquals"
        variable = "kms:ViaService"
        values   = var.via_services
      }

      condition {
        test     = "StringEquals"
        variable = "kms:CallerAccount"
        values   = [local.account_id]
      }
    }
  }
}

################################################################################
# Key
################################################################################

resource "aws_kms_key" "this" {
  count = local.create ? 1 : 0

  description             = var.description
  deletion_window_in_days = var.deletion_window_in_days
  enable_key_rotation     = var.enable_key_rotation
  policy                  = data.aws_iam_policy_document.this[0].json

  tags = var.tags
}

resource "aws_kms_alias" "this" {
  count = local.create ? 1 : 0

  name          = "alias/${var.alias_name}"
  target_key_id = aws_kms_key.this[0].key_id
}
