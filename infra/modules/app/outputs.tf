################################################################################
# Network
################################################################################

output "vpc_id" {
  description = "ID of the VPC."
  value       = module.network.vpc_id
}

output "private_subnet_ids" {
  description = "Private subnets of the tasks (one per AZ)."
  value       = module.network.private_subnet_ids
}

################################################################################
# Edge
################################################################################

output "url" {
  description = "Public URL of the service."
  value       = "https://${var.domain_name}/user"
}

output "availability_zones" {
  description = "Zones the subnets and tasks use."
  value       = local.azs
}

output "alb_dns_name" {
  description = "DNS name of the load balancer."
  value       = module.edge.dns_name
}

output "web_acl_arn" {
  description = "ARN of the WAF web ACL."
  value       = module.edge.web_acl_arn
}

################################################################################
# Service
################################################################################

output "cluster_name" {
  description = "ECS cluster name."
  value       = module.service.cluster_name
}

output "service_name" {
  description = "ECS service name."
  value       = module.service.service_name
}

output "service_log_group" {
  description = "Log group of the containers (awslogs)."
  value       = module.service.log_group_name
}

################################################################################
# Data
################################################################################

output "table_name" {
  description = "Name of the users table."
  value       = module.data.table_name
}

output "table_arn" {
  description = "ARN of the users table."
  value       = module.data.table_arn
}

output "kms_key_arns" {
  description = "Customer-managed keys by purpose."
  value       = { for k, m in module.kms : k => m.arn }
}

output "dr_kms_key_arns" {
  description = "Customer-managed keys in the DR region by purpose (backup copies, replica)."
  value       = { for k, m in module.kms_dr : k => m.arn }
}

output "backup_vault_arn" {
  description = "Primary backup vault."
  value       = module.data.backup_vault_arn
}

output "dr_backup_vault_arn" {
  description = "Backup vault in the DR region (restore source when the region is lost)."
  value       = module.data.dr_backup_vault_arn
}

################################################################################
# Observability
################################################################################

output "alarm_topic_arn" {
  description = "SNS topic the alarms notify."
  value       = module.observability.sns_topic_arn
}

output "alarm_names" {
  description = "Every CloudWatch alarm of the stack."
  value       = module.observability.alarm_names
}

output "dashboard_name" {
  description = "CloudWatch dashboard of the service."
  value       = module.observability.dashboard_name
}

output "image_digests" {
  description = "Digest of each image the task definition runs (empty when `verify_images` is off)."
  value       = { for k, i in data.aws_ecr_image.this : k => i.image_digest }
}
