locals {
  default_tags = merge({
    Project            = var.name
    Environment        = var.environment
    ManagedBy          = "terraform"
    DataClassification = "highly-sensitive"
    Repository         = "sre-monorepo/infra"
  }, var.tags)
}

################################################################################
# Application stack
################################################################################

# The same application in the DR region (infra/README.md, "Fail over to the DR region"): reads the replica or restored table, SECONDARY DNS record, own state key.
module "app" {
  source = "../../modules/app"
  providers = {
    aws    = aws
    aws.dr = aws.dr
  }

  region                              = var.region
  dr_region                           = var.dr_region
  name                                = var.name
  vpc_cidr                            = var.vpc_cidr
  azs                                 = var.azs
  enable_ipv6                         = var.enable_ipv6
  interface_endpoint_services         = var.interface_endpoint_services
  domain_name                         = var.domain_name
  route53_zone_id                     = var.route53_zone_id
  ssl_policy                          = var.ssl_policy
  dns_failover_role                   = var.dns_failover_role
  waf_rate_limit                      = var.waf_rate_limit
  enable_waf_logging                  = var.enable_waf_logging
  enable_shield_advanced              = var.enable_shield_advanced
  health_check_path                   = var.health_check_path
  verify_images                       = var.verify_images
  ecr_kms_key_arn                     = var.ecr_kms_key_arn
  container_image                     = var.container_image
  tls_proxy_image                     = var.tls_proxy_image
  log_router_image                    = var.log_router_image
  desired_count                       = var.desired_count
  max_count                           = var.max_count
  enable_autoscaling                  = var.enable_autoscaling
  enable_ephemeral_storage_cmk        = var.enable_ephemeral_storage_cmk
  wait_for_steady_state               = var.wait_for_steady_state
  table_name                          = var.table_name
  create_table                        = var.create_table
  create_table_resource_policy        = var.create_table_resource_policy
  enable_dynamodb_replica             = var.enable_dynamodb_replica
  create_backup                       = var.create_backup
  create_backup_selection             = var.create_backup_selection
  create_restore_testing              = var.create_restore_testing
  create_cross_region_copy            = var.create_cross_region_copy
  enable_guardduty_runtime_monitoring = var.enable_guardduty_runtime_monitoring
  kms_key_administrator_arns          = var.kms_key_administrator_arns
  alarm_emails                        = var.alarm_emails
  log_retention_in_days               = var.log_retention_in_days
  enable_deletion_protection          = var.enable_deletion_protection
  force_destroy                       = var.force_destroy
  force_destroy_backup_vaults         = var.force_destroy_backup_vaults
}
