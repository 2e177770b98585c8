################################################################################
# Cluster
################################################################################

output "cluster_name" {
  description = "Name of the ECS cluster."
  value       = try(aws_ecs_cluster.this[0].name, null)
}

output "cluster_arn" {
  description = "ARN of the ECS cluster."
  value       = try(aws_ecs_cluster.this[0].arn, null)
}

################################################################################
# Logging
################################################################################

output "log_group_name" {
  description = "Log group of the service containers."
  value       = try(aws_cloudwatch_log_group.this[0].name, null)
}

################################################################################
# Task definition
################################################################################

output "task_definition_arn" {
  description = "ARN (with revision) of the task definition."
  value       = try(aws_ecs_task_definition.this[0].arn, null)
}

################################################################################
# Service
################################################################################

output "service_name" {
  description = "Name of the ECS service."
  value       = try(aws_ecs_service.this[0].name, null)
}

output "security_group_id" {
  description = "Security group of the tasks."
  value       = try(aws_security_group.this[0].id, null)
}

################################################################################
# IAM
################################################################################

output "task_role_arn" {
  description = "ARN of the task (application) role."
  value       = try(aws_iam_role.task[0].arn, null)
}

output "execution_role_arn" {
  description = "ARN of the task execution role."
  value       = try(aws_iam_role.execution[0].arn, null)
}
