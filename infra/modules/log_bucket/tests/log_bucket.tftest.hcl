# Plan-time properties of the hardened log bucket shared by edge, security and bootstrap.
mock_provider "aws" {
  mock_data "aws_iam_policy_document" {
    defaults = { json = "{\"Version\":\"2012-10-17\",\"Statement\":[]}" }
  }
  mock_resource "aws_s3_bucket" {
    defaults = { arn = "arn:aws:s3:::user-api-logs" }
  }
}

variables {
  bucket = "user-api-logs-123456789012-us-east-1"
}

run "bucket_is_private_versioned_tls_only_and_aged" {
  command = plan

  assert {
    condition = (
      aws_s3_bucket_public_access_block.this[0].block_public_acls &&
      aws_s3_bucket_public_access_block.this[0].block_public_policy &&
      aws_s3_bucket_public_access_block.this[0].ignore_public_acls &&
      aws_s3_bucket_public_access_block.this[0].restrict_public_buckets
    )
    error_message = "Every public access switch must be blocked."
  }

  assert {
    condition     = aws_s3_bucket_versioning.this[0].versioning_configuration[0].status == "Enabled" && aws_s3_bucket_ownership_controls.this[0].rule[0].object_ownership == "BucketOwnerEnforced"
    error_message = "Versioning on, ACLs off."
  }

  assert {
    condition     = anytrue([for c in one([for st in data.aws_iam_policy_document.this[0].statement : st if st.effect == "Deny"]).condition : c.variable == "aws:SecureTransport" && contains(c.values, "false")])
    error_message = "The bucket policy must deny plain-HTTP requests."
  }

  assert {
    condition     = one(aws_s3_bucket_lifecycle_configuration.this[0].rule).noncurrent_version_expiration[0].noncurrent_days == 90
    error_message = "Old versions age out."
  }
}

run "sse_s3_without_a_key_and_sse_kms_with_one" {
  command = plan

  assert {
    condition     = one(one(aws_s3_bucket_server_side_encryption_configuration.this[0].rule).apply_server_side_encryption_by_default).sse_algorithm == "AES256"
    error_message = "Without a key (ALB access logs) the bucket uses SSE-S3."
  }
}

run "kms_key_turns_on_sse_kms_and_the_bucket_key" {
  command = plan

  variables {
    kms_key_arn = "arn:aws:kms:us-east-1:123456789012:key/11111111-1111-1111-1111-111111111111"
  }

  assert {
    condition     = one(one(aws_s3_bucket_server_side_encryption_configuration.this[0].rule).apply_server_side_encryption_by_default).sse_algorithm == "aws:kms" && one(aws_s3_bucket_server_side_encryption_configuration.this[0].rule).bucket_key_enabled
    error_message = "With a key the bucket uses SSE-KMS with a bucket key."
  }
}

run "an_invalid_bucket_name_is_rejected" {
  command = plan

  variables {
    bucket = "Not_A_Bucket"
  }

  expect_failures = [var.bucket]
}
