################################################################################
# VPC
################################################################################

output "vpc_id" {
  description = "ID of the VPC."
  value       = try(aws_vpc.this[0].id, null)
}

output "vpc_cidr_block" {
  description = "IPv4 CIDR of the VPC."
  value       = try(aws_vpc.this[0].cidr_block, null)
}

################################################################################
# Subnets
################################################################################

output "public_subnet_ids" {
  description = "IDs of the public subnets (load balancer only), one per AZ."
  value       = aws_subnet.public[*].id
}

output "private_subnet_ids" {
  description = "IDs of the private subnets (tasks), one per AZ."
  value       = aws_subnet.private[*].id
}

output "private_subnet_cidrs" {
  description = "IPv4 CIDRs of the private subnets."
  value       = aws_subnet.private[*].cidr_block
}

output "azs" {
  description = "Availability zones the subnets are spread over."
  value       = var.azs
}

################################################################################
# VPC endpoints
################################################################################

output "gateway_endpoint_prefix_list_ids" {
  description = "Prefix list IDs of the gateway endpoints (for security group egress), by service."
  value       = { for k, v in aws_vpc_endpoint.gateway : k => v.prefix_list_id }
}

output "interface_endpoint_ids" {
  description = "IDs of the interface endpoints, by service."
  value       = { for k, v in aws_vpc_endpoint.interface : k => v.id }
}

################################################################################
# Flow logs
################################################################################

output "flow_log_group_name" {
  description = "Log group receiving the VPC flow logs."
  value       = try(aws_cloudwatch_log_group.flow_logs[0].name, null)
}
