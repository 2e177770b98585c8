################################################################################
# Protective services
################################################################################

output "guardduty_detector_id" {
  description = "GuardDuty detector of this region."
  value       = module.security.guardduty_detector_id
}

output "audit_bucket" {
  description = "Bucket of CloudTrail files and AWS Config snapshots."
  value       = module.security.log_bucket
}

################################################################################
# Finding routing
################################################################################

output "findings_topic_arn" {
  description = "SNS topic that receives high-severity findings."
  value       = module.findings.sns_topic_arn
}

output "event_rule_names" {
  description = "EventBridge rules routed to the findings topic."
  value       = module.findings.event_rule_names
}
