provider "aws" {
  region = var.region

  default_tags {
    tags = merge({ Project = var.name, Component = "artifacts", ManagedBy = "terraform" }, var.tags)
  }
}

# Images are replicated here so the DR application never needs the primary region.
provider "aws" {
  alias  = "dr"
  region = var.dr_region

  default_tags {
    tags = merge({ Project = var.name, Component = "artifacts", ManagedBy = "terraform" }, var.tags)
  }
}
