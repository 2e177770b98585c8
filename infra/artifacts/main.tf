################################################################################
# Keys
################################################################################

module "kms" {
  source = "../modules/kms"

  region                 = var.region
  alias_name             = "${var.name}-ecr"
  description            = "ECR images of ${var.name}"
  key_administrator_arns = var.kms_key_administrator_arns
  via_services           = ["ecr.${var.region}.amazonaws.com"]
}

module "kms_dr" {
  source    = "../modules/kms"
  providers = { aws = aws.dr }

  region                 = var.dr_region
  alias_name             = "${var.name}-ecr-dr"
  description            = "Replicated ECR images of ${var.name}"
  key_administrator_arns = var.kms_key_administrator_arns
  via_services           = ["ecr.${var.dr_region}.amazonaws.com"]
}

################################################################################
# Repositories
################################################################################

# Created before any application stack, so images can be pushed before the first service
# deployment needs them (make -C infra push-images).
module "ecr" {
  source    = "../modules/ecr"
  providers = { aws = aws, aws.dr = aws.dr }

  name                    = var.name
  repositories            = var.repositories
  kms_key_arn             = module.kms.arn
  keep_tagged_days        = var.keep_tagged_days
  replication_region      = var.enable_replication ? var.dr_region : null
  replication_kms_key_arn = module.kms_dr.arn

  create_repository_creation_template = var.create_repository_creation_template
}
