################################################################################
# Backend settings (paste into environments/prod/backend.hcl)
################################################################################

output "bucket" {
  description = "State bucket."
  value       = aws_s3_bucket.this.id
}

output "kms_key_id" {
  description = "KMS key ARN for the backend `kms_key_id`."
  value       = module.kms.arn
}

output "dynamodb_table" {
  description = "Lock table for engines older than 1.10 (`dynamodb_table`)."
  value       = try(aws_dynamodb_table.lock[0].name, null)
}

output "backend_hcl" {
  description = "A ready backend.hcl for environments/prod."
  value       = <<-EOT
    bucket       = "${aws_s3_bucket.this.id}"
    key          = "prod/${var.name}.tfstate"
    region       = "${var.region}"
    encrypt      = true
    kms_key_id   = "${module.kms.arn}"
    use_lockfile = true
  EOT
}
