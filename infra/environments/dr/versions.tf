terraform {
  # OpenTofu >= 1.6 or Terraform >= 1.6 (mock providers in tests/ need 1.7).
  required_version = ">= 1.6.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.100"
    }
  }

  # Partial configuration: bucket, key, region, KMS key and lock settings come from
  # `-backend-config=backend.hcl` (see backend.hcl.example and infra/bootstrap).
  backend "s3" {}
}
