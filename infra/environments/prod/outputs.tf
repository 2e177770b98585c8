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

output "ecr_repository_url" {
  description = "ECR repository to push the application image to."
  value       = module.service.repository_url
}

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

################################################################################
# Observability
################################################################################

output "alarm_topic_arn" {
  description = "SNS topic the alarms notify."
  value       = module.observability.sns_topic_arn
}

output "dashboard_name" {
  description = "CloudWatch dashboard of the service."
  value       = module.observability.dashboard_name
}
