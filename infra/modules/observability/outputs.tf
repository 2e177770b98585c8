################################################################################
# Alarm topic
################################################################################

output "sns_topic_arn" {
  description = "ARN of the KMS-encrypted alarm topic."
  value       = try(aws_sns_topic.this[0].arn, null)
}

################################################################################
# Alarms
################################################################################

output "alarm_names" {
  description = "Names of every alarm created."
  value = concat(
    aws_cloudwatch_metric_alarm.alb_5xx_rate[*].alarm_name,
    aws_cloudwatch_metric_alarm.p99_latency[*].alarm_name,
    aws_cloudwatch_metric_alarm.unhealthy_hosts[*].alarm_name,
    aws_cloudwatch_metric_alarm.healthy_hosts_low[*].alarm_name,
    aws_cloudwatch_metric_alarm.dynamodb_throttles[*].alarm_name,
    aws_cloudwatch_metric_alarm.dynamodb_system_errors[*].alarm_name,
    aws_cloudwatch_metric_alarm.dynamodb_user_errors[*].alarm_name,
    aws_cloudwatch_metric_alarm.waf_blocked[*].alarm_name,
  )
}

output "event_rule_names" {
  description = "EventBridge rules routed to the alarm topic."
  value       = [for r in aws_cloudwatch_event_rule.this : r.name]
}

################################################################################
# Dashboard
################################################################################

output "dashboard_name" {
  description = "Name of the CloudWatch dashboard."
  value       = try(aws_cloudwatch_dashboard.this[0].dashboard_name, null)
}
