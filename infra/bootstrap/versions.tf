terraform {
  required_version = ">= 1.6.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.100"
    }
  }

  # The bootstrap keeps its own small state locally (commit nothing; keep a copy in a password
  # manager or migrate it into the bucket it creates with `init -migrate-state`).
}
