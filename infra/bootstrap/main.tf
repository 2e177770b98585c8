provider "aws" {
  region = var.region

  default_tags {
    tags = merge({ Project = var.name, ManagedBy = "terraform", Component = "tfstate" }, var.tags)
  }
}

data "aws_caller_identity" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
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

resource "aws_s3_bucket" "this" {
  #checkov:skip=CKV_AWS_144:State is small and versioned; cross-region replication is a documented option, not needed to rebuild (state can be re-imported).
  #checkov:skip=CKV_AWS_18:Access to state is recorded by the CloudTrail of the account; no second log bucket for it.
  #checkov:skip=CKV2_AWS_62:Nothing consumes events of the state bucket.
  bucket        = "${var.name}-tfstate-${local.account_id}-${var.region}"
  force_destroy = var.force_destroy
}

resource "aws_s3_bucket_ownership_controls" "this" {
  bucket = aws_s3_bucket.this.id

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_public_access_block" "this" {
  bucket                  = aws_s3_bucket.this.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_versioning" "this" {
  bucket = aws_s3_bucket.this.id

  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "this" {
  bucket = aws_s3_bucket.this.id

  rule {
    bucket_key_enabled = true

    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = module.kms.arn
    }
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "this" {
  bucket = aws_s3_bucket.this.id

  rule {
    id     = "old-state-versions"
    status = "Enabled"

    filter {
      prefix = ""
    }

    noncurrent_version_expiration {
      noncurrent_days = var.noncurrent_version_days
    }

    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }
  }
}

data "aws_iam_policy_document" "this" {
  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["s3:*"]
    resources = [aws_s3_bucket.this.arn, "${aws_s3_bucket.this.arn}/*"]

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
  bucket = aws_s3_bucket.this.id
  policy = data.aws_iam_policy_document.this.json

  depends_on = [aws_s3_bucket_public_access_block.this]
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
