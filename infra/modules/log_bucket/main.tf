locals {
  create = var.create
}

################################################################################
# Bucket
################################################################################

resource "aws_s3_bucket" "this" {
  #checkov:skip=CKV2_AWS_61:checkov's graph does not follow count-indexed references; aws_s3_bucket_lifecycle_configuration.this exists.
  #checkov:skip=CKV2_AWS_6:checkov's graph does not follow count-indexed references; aws_s3_bucket_public_access_block.this blocks everything.
  #checkov:skip=CKV_AWS_21:checkov's graph does not follow count-indexed references; aws_s3_bucket_versioning.this enables it.
  #checkov:skip=CKV_AWS_145:checkov's graph does not follow count-indexed references; SSE-KMS whenever kms_key_arn is set (ALB logs only support SSE-S3).
  #checkov:skip=CKV_AWS_144:Log buckets hold re-creatable or already multi-region records; replication belongs to a log-archive account.
  #checkov:skip=CKV_AWS_18:This is a log bucket; logging it to itself would loop and a second log bucket adds little.
  #checkov:skip=CKV2_AWS_62:Nothing consumes events of a log bucket.
  count = local.create ? 1 : 0

  bucket        = var.bucket
  force_destroy = var.force_destroy

  tags = var.tags
}

resource "aws_s3_bucket_ownership_controls" "this" {
  count = local.create ? 1 : 0

  bucket = aws_s3_bucket.this[0].id

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_public_access_block" "this" {
  count = local.create ? 1 : 0

  bucket                  = aws_s3_bucket.this[0].id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_versioning" "this" {
  count = local.create ? 1 : 0

  bucket = aws_s3_bucket.this[0].id

  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "this" {
  count = local.create ? 1 : 0

  bucket = aws_s3_bucket.this[0].id

  rule {
    bucket_key_enabled = var.kms_key_arn != null

    apply_server_side_encryption_by_default {
      sse_algorithm     = var.kms_key_arn != null ? "aws:kms" : "AES256"
      kms_master_key_id = var.kms_key_arn
    }
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "this" {
  count = local.create ? 1 : 0

  bucket = aws_s3_bucket.this[0].id

  rule {
    id     = "age-out"
    status = "Enabled"

    filter {
      prefix = ""
    }

    dynamic "transition" {
      for_each = var.transition != null ? [var.transition] : []

      content {
        days          = transition.value.days
        storage_class = transition.value.storage_class
      }
    }

    dynamic "expiration" {
      for_each = var.expiration_days != null ? [var.expiration_days] : []

      content {
        days = expiration.value
      }
    }

    noncurrent_version_expiration {
      noncurrent_days = var.noncurrent_version_expiration_days
    }

    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }
  }
}

################################################################################
# Bucket policy
################################################################################

# TLS only, plus whatever writers the caller names (log delivery, CloudTrail, Config).
data "aws_iam_policy_document" "this" {
  count = local.create ? 1 : 0

  source_policy_documents = var.policy_documents

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
  count = local.create ? 1 : 0

  bucket = aws_s3_bucket.this[0].id
  policy = data.aws_iam_policy_document.this[0].json

  depends_on = [aws_s3_bucket_public_access_block.this]
}
