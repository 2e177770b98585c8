################################################################################
# Certificate
################################################################################

output "certificate_arn" {
  description = "ARN of the validated ACM certificate."
  value       = try(aws_acm_certificate_validation.this[0].certificate_arn, null)
}

################################################################################
# Security group
################################################################################

output "security_group_id" {
  description = "Security group of the load balancer."
  value       = try(aws_security_group.this[0].id, null)
}

################################################################################
# Load balancer
################################################################################

output "arn" {
  description = "ARN of the load balancer."
  value       = try(aws_lb.this[0].arn, null)
}

output "arn_suffix" {
  description = "ARN suffix of the load balancer (CloudWatch dimension `LoadBalancer`)."
  value       = try(aws_lb.this[0].arn_suffix, null)
}

output "dns_name" {
  description = "DNS name of the load balancer."
  value       = try(aws_lb.this[0].dns_name, null)
}

output "zone_id" {
  description = "Route53 zone ID of the load balancer (for alias records)."
  value       = try(aws_lb.this[0].zone_id, null)
}

output "listener_target_group_arn" {
  description = "ARN of the target group, read through the HTTPS listener (depend on it to wait for the listener)."
  value       = try(aws_lb_listener.https[0].default_action[0].target_group_arn, null)
}

output "target_group_arn" {
  description = "ARN of the HTTPS target group of the tasks."
  value       = try(aws_lb_target_group.this[0].arn, null)
}

output "target_group_arn_suffix" {
  description = "ARN suffix of the target group (CloudWatch dimension `TargetGroup`)."
  value       = try(aws_lb_target_group.this[0].arn_suffix, null)
}

################################################################################
# DNS records
################################################################################

output "fqdn" {
  description = "Public name served by the load balancer."
  value       = try(aws_route53_record.alias["A"].fqdn, null)
}

################################################################################
# Access logs
################################################################################

output "access_logs_bucket" {
  description = "Bucket that receives the ALB access logs."
  value       = module.access_logs.id
}

################################################################################
# WAF
################################################################################

output "web_acl_arn" {
  description = "ARN of the WAFv2 web ACL."
  value       = try(aws_wafv2_web_acl.this[0].arn, null)
}

output "web_acl_name" {
  description = "Name of the WAFv2 web ACL (CloudWatch dimension `WebACL`)."
  value       = try(aws_wafv2_web_acl.this[0].name, null)
}
