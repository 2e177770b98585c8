terraform {
  # OpenTofu >= 1.6 or Terraform >= 1.6.
  required_version = ">= 1.6.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.100"
    }
  }

  # Partial configuration: one state per region (`make -C infra backend-config` writes
  # backend-<region>.hcl from the bootstrap outputs).
  backend "s3" {}
}
