provider "aws" {
  region = var.region

  default_tags {
    tags = merge({
      Project   = var.name
      Component = "account-baseline"
      ManagedBy = "terraform"
    }, var.tags)
  }
}
