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

locals {
  # Key administrators manage the key but cannot use it (AWS KMS developer guide, "Default key
  # policy": "Allows key administrators to administer the KMS key" lists exactly these). With no
  # explicit administrators the account root gets them, which delegates to IAM and keeps the key
  # manageable; it no longer gets kms:* (so an IAM admin cannot Decrypt through the key policy).
  admin_actions = [
    "kms:Create*", "kms:Describe*", "kms:Enable*", "kms:List*", "kms:Put*", "kms:Update*",
    "kms:Revoke*", "kms:Disable*", "kms:Get*", "kms:Delete*", "kms:TagResource",
    "kms:UntagResource", "kms:ScheduleKeyDeletion", "kms:CancelKeyDeletion",
    "kms:RotateKeyOnDemand",
  ]
  # Key users: the cryptographic operations only ("Allows key users to use the KMS key").
  user_actions   = ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"]
  administrators = length(var.key_administrator_arns) > 0 ? var.key_administrator_arns : ["arn:${local.partition}:iam::${local.account_id}:root"]
}

data "aws_iam_policy_document" "this" {
  #checkov:skip=CKV_AWS_111:A key policy's "*" resource is the key itself; writes are limited to named administrators and services.
  #checkov:skip=CKV_AWS_356:In a key policy "*" means this key only; there is no other resource to name.
  #checkov:skip=CKV_AWS_109:Key administrators need Put*/Update* on the key to manage it (AWS's key-administrator statement); they get no cryptographic actions.
  count = local.create ? 1 : 0

  statement {
    sid       = "KeyAdministration"
    actions   = local.admin_actions
    resources = ["*"]

    principals {
      type        = "AWS"
      identifiers = local.administrators
    }
  }

  dynamic "statement" {
    for_each = length(var.key_user_arns) > 0 ? [1] : []

    content {
      sid       = "KeyUse"
      actions   = local.user_actions
      resources = ["*"]

      principals {
        type        = "AWS"
        identifiers = var.key_user_arns
      }
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

  # Statements a service documents word for word (e.g. Fargate ephemeral storage, whose
  # requests carry encryption context but no aws:SourceAccount).
  dynamic "statement" {
    for_each = var.service_statements

    content {
      sid       = statement.value.sid
      actions   = statement.value.actions
      resources = ["*"]

      principals {
        type        = "Service"
        identifiers = statement.value.service_principals
      }

      dynamic "condition" {
        for_each = statement.value.conditions

        content {
          test     = condition.value.test
          variable = condition.value.variable
          values   = condition.value.values
        }
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

  # Principals of this account may use the key only through the named services (the pattern of
  # AWS managed keys): the service, not a person, touches the data.
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
