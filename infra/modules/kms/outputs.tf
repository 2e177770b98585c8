################################################################################
# Key
################################################################################

output "arn" {
  description = "ARN of the key."
  value       = try(aws_kms_key.this[0].arn, null)
}

output "key_id" {
  description = "ID of the key."
  value       = try(aws_kms_key.this[0].key_id, null)
}

output "alias_name" {
  description = "Full alias name (`alias/...`)."
  value       = try(aws_kms_alias.this[0].name, null)
}
