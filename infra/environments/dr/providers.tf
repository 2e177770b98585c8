provider "aws" {
  region = var.region

  default_tags {
    tags = local.default_tags
  }
}

# Disaster-recovery region: backup copies (and the opt-in global-table replica keys).
provider "aws" {
  alias  = "dr"
  region = var.dr_region

  default_tags {
    tags = local.default_tags
  }
}
