################################################################################
# Table
################################################################################

output "table_name" {
  description = "Name of the DynamoDB table."
  value       = local.table_name
}

output "table_arn" {
  description = "ARN of the DynamoDB table."
  value       = local.table_arn
}

################################################################################
# Backup
################################################################################

output "backup_vault_arn" {
  description = "ARN of the primary backup vault."
  value       = try(aws_backup_vault.this[0].arn, null)
}

output "dr_backup_vault_arn" {
  description = "ARN of the backup vault in the disaster-recovery region."
  value       = try(aws_backup_vault.dr[0].arn, null)
}

output "backup_plan_id" {
  description = "ID of the backup plan."
  value       = try(aws_backup_plan.this[0].id, null)
}
