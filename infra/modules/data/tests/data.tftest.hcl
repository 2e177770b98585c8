# Plan-time properties of the data module, with mocked AWS providers (no account needed).
# Mocked providers return random strings for computed attributes; the provider still validates
# ARNs and JSON, so give the ones this module passes on a realistic shape.
mock_provider "aws" {
  mock_data "aws_iam_policy_document" {
    defaults = { json = "{\"Version\":\"2012-10-17\",\"Statement\":[]}" }
  }
  mock_data "aws_partition" {
    defaults = { partition = "aws" }
  }
  mock_resource "aws_dynamodb_table" {
    defaults = { arn = "arn:aws:dynamodb:us-east-1:123456789012:table/users" }
  }
  mock_resource "aws_backup_vault" {
    defaults = { arn = "arn:aws:backup:us-east-1:123456789012:backup-vault:users-primary" }
  }
  mock_resource "aws_iam_role" {
    defaults = { arn = "arn:aws:iam::123456789012:role/users-backup" }
  }
}

mock_provider "aws" {
  alias = "dr"

  mock_resource "aws_backup_vault" {
    defaults = { arn = "arn:aws:backup:us-west-2:123456789012:backup-vault:users-dr" }
  }
}

variables {
  name                  = "users"
  kms_key_arn           = "arn:aws:kms:us-east-1:123456789012:key/11111111-1111-1111-1111-111111111111"
  backup_kms_key_arn    = "arn:aws:kms:us-east-1:123456789012:key/22222222-2222-2222-2222-222222222222"
  dr_backup_kms_key_arn = "arn:aws:kms:us-west-2:123456789012:key/33333333-3333-3333-3333-333333333333"
}

run "table_is_protected_and_encrypted_with_a_cmk" {
  command = plan

  assert {
    condition     = aws_dynamodb_table.this[0].billing_mode == "PAY_PER_REQUEST"
    error_message = "The table must be on-demand."
  }

  assert {
    condition     = aws_dynamodb_table.this[0].point_in_time_recovery[0].enabled
    error_message = "Point-in-time recovery must be on."
  }

  assert {
    condition     = aws_dynamodb_table.this[0].deletion_protection_enabled
    error_message = "Deletion protection must be on."
  }

  assert {
    condition     = aws_dynamodb_table.this[0].server_side_encryption[0].enabled && aws_dynamodb_table.this[0].server_side_encryption[0].kms_key_arn == var.kms_key_arn
    error_message = "The table must be encrypted with the given customer-managed key."
  }

  assert {
    condition     = aws_dynamodb_table.this[0].hash_key == "user_id"
    error_message = "The partition key is user_id."
  }

  assert {
    condition     = length(aws_dynamodb_table.this[0].replica) == 0
    error_message = "No replica unless asked for."
  }
}

run "backups_are_encrypted_and_copied_to_the_dr_region" {
  command = plan

  assert {
    condition     = aws_backup_vault.this[0].kms_key_arn == var.backup_kms_key_arn && aws_backup_vault.dr[0].kms_key_arn == var.dr_backup_kms_key_arn
    error_message = "Both vaults must use their customer-managed keys."
  }

  assert {
    condition     = length(one(aws_backup_plan.this[0].rule).copy_action) == 1
    error_message = "The daily rule must copy to the DR vault."
  }

  assert {
    condition     = length(aws_backup_selection.this) == 1
    error_message = "The table must be assigned to the plan."
  }
}

run "tls_is_required_by_the_table_policy" {
  command = plan

  assert {
    condition = anytrue([for s in data.aws_iam_policy_document.table[0].statement :
      s.effect == "Deny" && anytrue([for c in s.condition : c.variable == "aws:SecureTransport" && contains(c.values, "false")])
    ])
    error_message = "The table policy must deny requests without aws:SecureTransport."
  }
}

run "replica_is_opt_in_and_encrypted" {
  command = plan

  variables {
    replica_regions = [{ region_name = "us-west-2", kms_key_arn = "arn:aws:kms:us-west-2:123456789012:key/44444444-4444-4444-4444-444444444444" }]
  }

  assert {
    condition     = one(aws_dynamodb_table.this[0].replica).region_name == "us-west-2" && one(aws_dynamodb_table.this[0].replica).kms_key_arn != null
    error_message = "The opt-in replica must exist and carry its own CMK."
  }

  assert {
    condition     = aws_dynamodb_table.this[0].stream_enabled
    error_message = "Global tables need the stream."
  }
}

run "pitr_cannot_be_switched_off" {
  command = plan

  variables {
    point_in_time_recovery_enabled = false
  }

  expect_failures = [var.point_in_time_recovery_enabled]
}
