output "vpc_id" {
  description = "ID of the VPC."
  value       = module.app.vpc_id
}

output "private_subnet_ids" {
  description = "Private subnets of the tasks (one per AZ)."
  value       = module.app.private_subnet_ids
}

output "url" {
  description = "Public URL of the service."
  value       = module.app.url
}

output "availability_zones" {
  description = "Zones the subnets and tasks use."
  value       = module.app.availability_zones
}

output "alb_dns_name" {
  description = "DNS name of the load balancer."
  value       = module.app.alb_dns_name
}

output "web_acl_arn" {
  description = "ARN of the WAF web ACL."
  value       = module.app.web_acl_arn
}

output "cluster_name" {
  description = "ECS cluster name."
  value       = module.app.cluster_name
}

output "service_name" {
  description = "ECS service name."
  value       = module.app.service_name
}

output "service_log_group" {
  description = "Log group of the containers (awslogs)."
  value       = module.app.service_log_group
}

output "table_name" {
  description = "Name of the users table."
  value       = module.app.table_name
}

output "table_arn" {
  description = "ARN of the users table."
  value       = module.app.table_arn
}

output "kms_key_arns" {
  description = "Customer-managed keys by purpose."
  value       = module.app.kms_key_arns
}

output "dr_kms_key_arns" {
  description = "Customer-managed keys in the DR region by purpose (backup copies, replica)."
  value       = module.app.dr_kms_key_arns
}

output "backup_vault_arn" {
  description = "Primary backup vault."
  value       = module.app.backup_vault_arn
}

output "dr_backup_vault_arn" {
  description = "Backup vault in the DR region (restore source when the region is lost)."
  value       = module.app.dr_backup_vault_arn
}

output "alarm_topic_arn" {
  description = "SNS topic the alarms notify."
  value       = module.app.alarm_topic_arn
}

output "alarm_names" {
  description = "Every CloudWatch alarm of the stack."
  value       = module.app.alarm_names
}

output "dashboard_name" {
  description = "CloudWatch dashboard of the service."
  value       = module.app.dashboard_name
}

output "image_digests" {
  description = "Digest of each image the task definition runs (empty when `verify_images` is off)."
  value       = module.app.image_digests
}
