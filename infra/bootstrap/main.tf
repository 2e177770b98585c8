provider "aws" {
  region = var.region

  default_tags {
    tags = merge({ Project = var.name, ManagedBy = "terraform", Component = "tfstate" }, var.tags)
  }
}

provider "aws" {
  alias  = "dr"
  region = var.dr_region

  default_tags {
    tags = merge({ Project = var.name, ManagedBy = "terraform", Component = "tfstate" }, var.tags)
  }
}

data "aws_caller_identity" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  bucket     = "${var.name}-tfstate-${local.account_id}-${var.region}"

  # One state object per root (and per region for the regional roots): a root never reads or
  # locks another's state. The roots of the DR region keep theirs in the DR-region bucket, so a
  # lost primary region does not block the failover apply.
  state_keys = {
    baseline_primary = { key = "baseline/${var.region}/terraform.tfstate", dr = false }
    artifacts        = { key = "artifacts/terraform.tfstate", dr = false }
    prod             = { key = "app/prod/${var.region}/terraform.tfstate", dr = false }
    baseline_dr      = { key = "baseline/${var.dr_region}/terraform.tfstate", dr = true }
    dr               = { key = "app/dr/${var.dr_region}/terraform.tfstate", dr = true }
  }
}

################################################################################
# Key
################################################################################

module "kms" {
  source = "../modules/kms"

  region       = var.region
  alias_name   = "${var.name}-tfstate"
  description  = "Terraform state of ${var.name} (bucket objects and lock table)"
  via_services = ["s3.${var.region}.amazonaws.com", "dynamodb.${var.region}.amazonaws.com"]
}

################################################################################
# State bucket
################################################################################

module "state_bucket" {
  source = "../modules/log_bucket"

  bucket                             = local.bucket
  force_destroy                      = var.force_destroy
  kms_key_arn                        = module.kms.arn
  noncurrent_version_expiration_days = var.noncurrent_version_days
}

################################################################################
# State replica in the DR region
################################################################################

# A region loss must not take the state with it: every state object is replicated to a bucket
# in dr_region, encrypted there with a key of that region (S3 user guide, "Replicating objects
# created with server-side encryption (SSE-KMS)").
module "kms_dr" {
  source    = "../modules/kms"
  count     = var.replicate_state ? 1 : 0
  providers = { aws = aws.dr }

  region       = var.dr_region
  alias_name   = "${var.name}-tfstate-dr"
  description  = "Replica of the Terraform state of ${var.name}"
  via_services = ["s3.${var.dr_region}.amazonaws.com"]
}

module "state_replica" {
  source    = "../modules/log_bucket"
  providers = { aws = aws.dr }

  create                             = var.replicate_state
  bucket                             = "${var.name}-tfstate-${local.account_id}-${var.dr_region}"
  force_destroy                      = var.force_destroy
  kms_key_arn                        = try(module.kms_dr[0].arn, null)
  noncurrent_version_expiration_days = var.noncurrent_version_days
}

data "aws_iam_policy_document" "replication_assume" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["s3.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

resource "aws_iam_role" "replication" {
  count = var.replicate_state ? 1 : 0

  name_prefix        = "${var.name}-tfstate-repl-"
  assume_role_policy = data.aws_iam_policy_document.replication_assume.json
}

data "aws_iam_policy_document" "replication" {
  count = var.replicate_state ? 1 : 0

  statement {
    sid       = "ReadSource"
    actions   = ["s3:GetReplicationConfiguration", "s3:ListBucket"]
    resources = [module.state_bucket.arn]
  }

  statement {
    sid       = "ReadSourceVersions"
    actions   = ["s3:GetObjectVersionForReplication", "s3:GetObjectVersionAcl", "s3:GetObjectVersionTagging"]
    resources = ["${module.state_bucket.arn}/*"]
  }

  statement {
    sid       = "WriteReplica"
    actions   = ["s3:ReplicateObject", "s3:ReplicateDelete", "s3:ReplicateTags"]
    resources = ["${module.state_replica.arn}/*"]
  }

  statement {
    sid       = "DecryptSource"
    actions   = ["kms:Decrypt"]
    resources = [module.kms.arn]
  }

  statement {
    sid       = "EncryptReplica"
    actions   = ["kms:Encrypt", "kms:GenerateDataKey"]
    resources = [module.kms_dr[0].arn]
  }
}

resource "aws_iam_role_policy" "replication" {
  count = var.replicate_state ? 1 : 0

  name   = "replicate-state"
  role   = aws_iam_role.replication[0].id
  policy = data.aws_iam_policy_document.replication[0].json
}

resource "aws_s3_bucket_replication_configuration" "this" {
  count = var.replicate_state ? 1 : 0

  bucket = module.state_bucket.id
  role   = aws_iam_role.replication[0].arn

  rule {
    id     = "state-to-dr"
    status = "Enabled"

    filter {}

    delete_marker_replication {
      status = "Enabled"
    }

    source_selection_criteria {
      sse_kms_encrypted_objects {
        status = "Enabled"
      }
    }

    destination {
      bucket = module.state_replica.arn

      encryption_configuration {
        replica_kms_key_id = module.kms_dr[0].arn
      }
    }
  }

  depends_on = [aws_iam_role_policy.replication]
}

################################################################################
# Lock table
################################################################################

resource "aws_dynamodb_table" "lock" {
  count = var.create_lock_table ? 1 : 0

  name                        = "${var.name}-tfstate-lock"
  billing_mode                = "PAY_PER_REQUEST"
  hash_key                    = "LockID"
  deletion_protection_enabled = !var.force_destroy

  attribute {
    name = "LockID"
    type = "S"
  }

  server_side_encryption {
    enabled     = true
    kms_key_arn = module.kms.arn
  }

  point_in_time_recovery {
    enabled = true
  }
}
