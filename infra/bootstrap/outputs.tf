################################################################################
# Backend settings (one backend.hcl per root)
################################################################################

output "bucket" {
  description = "State bucket."
  value       = module.state_bucket.id
}

output "replica_bucket" {
  description = "Replica of the state bucket in the DR region (read it with `-backend-config=bucket=...` if the primary region is gone)."
  value       = module.state_replica.id
}

output "kms_key_id" {
  description = "KMS key ARN for the backend `kms_key_id`."
  value       = module.kms.arn
}

output "dynamodb_table" {
  description = "Lock table for engines older than 1.10 (`dynamodb_table`)."
  value       = try(aws_dynamodb_table.lock[0].name, null)
}

output "state_keys" {
  description = "State key of every root."
  value       = { for root, k in local.state_keys : root => k.key }
}

output "backend_hcl" {
  description = "A ready backend.hcl per root (`baseline_primary`, `baseline_dr`, `artifacts`, `prod`, `dr`); `make -C infra backend-config` writes them."
  value = { for root, k in local.state_keys : root => <<-EOT
    bucket       = "${k.dr && var.replicate_state ? module.state_replica.id : module.state_bucket.id}"
    key          = "${k.key}"
    region       = "${k.dr && var.replicate_state ? var.dr_region : var.region}"
    encrypt      = true
    kms_key_id   = "${k.dr && var.replicate_state ? try(module.kms_dr[0].arn, "") : module.kms.arn}"
    use_lockfile = true
  EOT
  }
}
