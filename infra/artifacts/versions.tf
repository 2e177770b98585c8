terraform {
  # OpenTofu >= 1.6 or Terraform >= 1.6.
  required_version = ">= 1.6.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.100"
    }
  }

  # Partial configuration: `make -C infra backend-config` writes backend.hcl from the bootstrap.
  backend "s3" {}
}
