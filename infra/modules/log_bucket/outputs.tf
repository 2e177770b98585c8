################################################################################
# Bucket
################################################################################

output "id" {
  description = "Name of the bucket."
  value       = try(aws_s3_bucket.this[0].id, null)
}

output "arn" {
  description = "ARN of the bucket."
  value       = try(aws_s3_bucket.this[0].arn, null)
}

################################################################################
# Bucket policy
################################################################################

output "policy_id" {
  description = "ID of the bucket policy (depend on it before a writer validates access)."
  value       = try(aws_s3_bucket_policy.this[0].id, null)
}
