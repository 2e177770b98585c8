################################################################################
# GuardDuty
################################################################################

output "guardduty_detector_id" {
  description = "ID of the GuardDuty detector."
  value       = try(aws_guardduty_detector.this[0].id, null)
}

################################################################################
# Log bucket (CloudTrail and Config)
################################################################################

output "log_bucket" {
  description = "Bucket that receives CloudTrail and AWS Config files."
  value       = module.bucket.id
}

################################################################################
# CloudTrail
################################################################################

output "cloudtrail_arn" {
  description = "ARN of the trail."
  value       = try(aws_cloudtrail.this[0].arn, null)
}

output "cloudtrail_log_group_name" {
  description = "Log group receiving the trail's events."
  value       = try(aws_cloudwatch_log_group.cloudtrail[0].name, null)
}

################################################################################
# AWS Config
################################################################################

output "config_recorder_name" {
  description = "Name of the AWS Config recorder."
  value       = try(aws_config_configuration_recorder.this[0].name, null)
}
