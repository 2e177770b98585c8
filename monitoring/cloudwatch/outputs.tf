################################################################################
# Log-derived metrics
################################################################################

output "metric_namespace" {
  description = "Namespace of the metrics derived from the transaction log."
  value       = var.metric_namespace
}

output "metric_filter_names" {
  description = "Names of the CloudWatch Logs metric filters, keyed by metric."
  value       = { for k, f in aws_cloudwatch_log_metric_filter.this : k => f.name }
}

################################################################################
# SLO burn rates
################################################################################

output "slo_page_alarm_arns" {
  description = "ARNs of the composite alarms that page on a fast or slow error-budget burn, keyed by SLI."
  value       = { for k, a in aws_cloudwatch_composite_alarm.slo_page : k => a.arn }
}

output "slo_ticket_alarm_arns" {
  description = "ARNs of the composite alarms that open a ticket on a slow error-budget burn, keyed by SLI."
  value       = { for k, a in aws_cloudwatch_composite_alarm.slo_ticket : k => a.arn }
}

################################################################################
# Dependencies
################################################################################

output "dependency_alarm_arns" {
  description = "ARNs of the dependency error-rate alarms, keyed by dependency."
  value       = { for k, a in aws_cloudwatch_metric_alarm.dependency_error_rate : k => a.arn }
}

################################################################################
# Latency p99
################################################################################

output "latency_p99_alarm_arn" {
  description = "ARN of the service p99 latency alarm."
  value       = try(aws_cloudwatch_metric_alarm.latency_p99[0].arn, null)
}

################################################################################
# Log pipeline dead-man's switch
################################################################################

output "log_heartbeat_alarm_arn" {
  description = "ARN of the alarm that pages when no heartbeat reaches the log group."
  value       = try(aws_cloudwatch_metric_alarm.log_heartbeat_missing[0].arn, null)
}
