data "aws_partition" "current" {}

locals {
  create        = var.create
  create_table  = local.create && var.create_table
  create_backup = local.create && var.create_backup
  create_copy   = local.create_backup && var.create_cross_region_copy

  # In the DR region the table already exists (global-table replica, or restored from the DR
  # vault by `make -C infra dr-restore`): this stack then reads it instead of owning a second one.
  table_arn  = local.create_table ? try(aws_dynamodb_table.this[0].arn, null) : try(data.aws_dynamodb_table.existing[0].arn, null)
  table_name = local.create_table ? try(aws_dynamodb_table.this[0].name, null) : try(data.aws_dynamodb_table.existing[0].name, null)
}

data "aws_dynamodb_table" "existing" {
  count = local.create && !var.create_table ? 1 : 0

  name = var.name
}

################################################################################
# Table
################################################################################

resource "aws_dynamodb_table" "this" {
  count = local.create_table ? 1 : 0

  name                        = var.name
  billing_mode                = "PAY_PER_REQUEST"
  hash_key                    = var.hash_key
  deletion_protection_enabled = var.deletion_protection_enabled
  table_class                 = "STANDARD"
  # Global tables replicate through the stream.
  stream_enabled   = length(var.replica_regions) > 0 ? true : null
  stream_view_type = length(var.replica_regions) > 0 ? "NEW_AND_OLD_IMAGES" : null

  attribute {
    name = var.hash_key
    type = "S"
  }

  server_side_encryption {
    enabled     = true
    kms_key_arn = var.kms_key_arn
  }

  point_in_time_recovery {
    enabled = var.point_in_time_recovery_enabled
  }

  dynamic "ttl" {
    for_each = var.ttl_attribute_name != null ? [var.ttl_attribute_name] : []

    content {
      enabled        = true
      attribute_name = ttl.value
    }
  }

  dynamic "replica" {
    for_each = var.replica_regions

    content {
      region_name            = replica.value.region_name
      kms_key_arn            = replica.value.kms_key_arn
      point_in_time_recovery = true
      propagate_tags         = true
    }
  }

  tags = var.tags
}

data "aws_iam_policy_document" "table" {
  count = local.create && var.create_table_resource_policy ? 1 : 0

  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["dynamodb:*"]
    resources = [local.table_arn, "${local.table_arn}/*"]

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

resource "aws_dynamodb_resource_policy" "this" {
  count = local.create && var.create_table_resource_policy ? 1 : 0

  resource_arn = local.table_arn
  policy       = data.aws_iam_policy_document.table[0].json
}

################################################################################
# Backup
################################################################################

resource "aws_backup_vault" "this" {
  count = local.create_backup ? 1 : 0

  name          = "${var.name}-primary"
  kms_key_arn   = var.backup_kms_key_arn
  force_destroy = var.force_destroy_vaults

  tags = var.tags
}

resource "aws_backup_vault" "dr" {
  count    = local.create_copy ? 1 : 0
  provider = aws.dr

  name          = "${var.name}-dr"
  kms_key_arn   = var.dr_backup_kms_key_arn
  force_destroy = var.force_destroy_vaults

  tags = var.tags
}

# Vault Lock in governance mode: recovery points cannot be deleted early or kept past the
# maximum, except by principals granted backup:DeleteBackupVaultLockConfiguration. Set
# `vault_lock.changeable_for_days` for compliance mode (immutable once the grace time ends).
# AWS Backup developer guide, "AWS Backup Vault Lock".
resource "aws_backup_vault_lock_configuration" "this" {
  count = local.create_backup && var.vault_lock != null ? 1 : 0

  backup_vault_name   = aws_backup_vault.this[0].name
  min_retention_days  = var.vault_lock.min_retention_days
  max_retention_days  = var.vault_lock.max_retention_days
  changeable_for_days = var.vault_lock.changeable_for_days
}

resource "aws_backup_vault_lock_configuration" "dr" {
  count    = local.create_copy && var.vault_lock != null ? 1 : 0
  provider = aws.dr

  backup_vault_name   = aws_backup_vault.dr[0].name
  min_retention_days  = var.vault_lock.min_retention_days
  max_retention_days  = var.vault_lock.max_retention_days
  changeable_for_days = var.vault_lock.changeable_for_days
}

resource "aws_backup_plan" "this" {
  count = local.create_backup ? 1 : 0

  name = "${var.name}-daily"

  rule {
    rule_name         = "daily"
    target_vault_name = aws_backup_vault.this[0].name
    schedule          = var.backup_schedule
    start_window      = 60
    completion_window = 360

    lifecycle {
      delete_after = var.backup_retention_days
    }

    dynamic "copy_action" {
      for_each = local.create_copy ? [1] : []

      content {
        destination_vault_arn = aws_backup_vault.dr[0].arn

        lifecycle {
          delete_after = var.backup_retention_days
        }
      }
    }
  }

  tags = var.tags
}

data "aws_iam_policy_document" "backup_assume" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["backup.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "backup" {
  count = local.create_backup && var.create_backup_selection ? 1 : 0

  name_prefix        = "${var.name}-backup-"
  assume_role_policy = data.aws_iam_policy_document.backup_assume.json

  tags = var.tags
}

resource "aws_iam_role_policy_attachment" "backup" {
  for_each = local.create_backup && var.create_backup_selection ? toset([
    "AWSBackupServiceRolePolicyForBackup",
    "AWSBackupServiceRolePolicyForRestores",
  ]) : toset([])

  role       = aws_iam_role.backup[0].name
  policy_arn = "arn:${data.aws_partition.current.partition}:iam::aws:policy/service-role/${each.value}"
}

resource "aws_backup_selection" "this" {
  count = local.create_backup && var.create_backup_selection ? 1 : 0

  name         = "${var.name}-table"
  plan_id      = aws_backup_plan.this[0].id
  iam_role_arn = aws_iam_role.backup[0].arn
  resources    = [local.table_arn]
}

################################################################################
# Restore testing
################################################################################

# A backup nobody restored is a hope. AWS Backup restores the latest recovery point of the table
# on a schedule into a throw-away table, validates it and deletes it (AWS Backup developer guide,
# "Restore testing"); failures arrive as "Restore Job State Change" events (see observability).
resource "aws_backup_restore_testing_plan" "this" {
  count = local.create_backup && var.create_backup_selection && var.create_restore_testing ? 1 : 0

  name                = replace("${var.name}_restore_test", "-", "_")
  schedule_expression = var.restore_testing_schedule

  recovery_point_selection {
    algorithm             = "LATEST_WITHIN_WINDOW"
    include_vaults        = [aws_backup_vault.this[0].arn]
    recovery_point_types  = ["SNAPSHOT"]
    selection_window_days = 7
  }

  tags = var.tags
}

resource "aws_backup_restore_testing_selection" "this" {
  count = local.create_backup && var.create_backup_selection && var.create_restore_testing ? 1 : 0

  name                      = replace("${var.name}_table", "-", "_")
  restore_testing_plan_name = aws_backup_restore_testing_plan.this[0].name
  protected_resource_type   = "DynamoDB"
  iam_role_arn              = aws_iam_role.backup[0].arn
  protected_resource_arns   = [local.table_arn]
  validation_window_hours   = 1
}
