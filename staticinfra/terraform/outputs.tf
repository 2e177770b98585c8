################################################################################
# IAM role
################################################################################

output "iam_role_arn" {
  description = "ARN of the role DLM uses to take and delete the snapshots."
  value       = try(aws_iam_role.this[0].arn, null)
}

################################################################################
# Lifecycle policy
################################################################################

output "policy_id" {
  description = "Id of the DLM lifecycle policy."
  value       = try(aws_dlm_lifecycle_policy.this[0].id, null)
}

output "policy_arn" {
  description = "ARN of the DLM lifecycle policy."
  value       = try(aws_dlm_lifecycle_policy.this[0].arn, null)
}
