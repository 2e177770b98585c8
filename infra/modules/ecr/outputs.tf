################################################################################
# Repositories
################################################################################

output "repository_urls" {
  description = "Repository URL by image name (push `URL:<git sha>`)."
  value       = { for k, r in aws_ecr_repository.this : k => r.repository_url }
}

output "repository_arns" {
  description = "Repository ARN by image name."
  value       = { for k, r in aws_ecr_repository.this : k => r.arn }
}

################################################################################
# Replication to the DR region
################################################################################

output "replica_repository_urls" {
  description = "Repository URL in the DR region by image name (created on the first replicated push)."
  value = var.replication_region == null ? {} : {
    for k, r in aws_ecr_repository.this : k => replace(r.repository_url, ".${split(".", r.repository_url)[3]}.", ".${var.replication_region}.")
  }
}
