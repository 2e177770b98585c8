################################################################################
# Keys
################################################################################

output "kms_key_arn" {
  description = "Key of the repositories (pass as `ecr_kms_key_arn` to environments/prod)."
  value       = module.kms.arn
}

output "kms_key_arn_dr" {
  description = "Key of the replica repositories (pass as `ecr_kms_key_arn` to environments/dr)."
  value       = module.kms_dr.arn
}

################################################################################
# Repositories
################################################################################

output "repository_urls" {
  description = "Push `URL:<git sha>` here, by image name."
  value       = module.ecr.repository_urls
}

output "replica_repository_urls" {
  description = "The same images in the DR region (use these in environments/dr)."
  value       = module.ecr.replica_repository_urls
}
