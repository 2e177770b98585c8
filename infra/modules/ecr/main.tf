data "aws_caller_identity" "current" {}

locals {
  create          = var.create
  create_template = local.create && var.replication_region != null && var.create_repository_creation_template
}

################################################################################
# Repositories
################################################################################

# One repository per image (app, TLS sidecar, ...): a lifecycle policy counts images per
# repository, so images of one component can never push another's out.
resource "aws_ecr_repository" "this" {
  for_each = local.create ? toset(var.repositories) : toset([])

  name                 = "${var.name}/${each.value}"
  image_tag_mutability = "IMMUTABLE"

  image_scanning_configuration {
    scan_on_push = true
  }

  encryption_configuration {
    encryption_type = "KMS"
    kms_key         = var.kms_key_arn
  }

  tags = var.tags
}

# ECR lifecycle rules know nothing about task definitions (ECR user guide, "Lifecycle policies"),
# so nothing a deployment may still use is expired by count: untagged layers go after a week,
# tagged releases only after `keep_tagged_days` (far beyond any rollback window), and the
# application roots refuse to plan an image that is no longer there (data.aws_ecr_image).
resource "aws_ecr_lifecycle_policy" "this" {
  for_each = aws_ecr_repository.this

  repository = each.value.name
  policy     = local.lifecycle_policy
}

locals {
  lifecycle_policy = jsonencode({
    rules = [
      {
        rulePriority = 1
        description  = "Untagged images (superseded manifests) after 7 days"
        selection = {
          tagStatus   = "untagged"
          countType   = "sinceImagePushed"
          countUnit   = "days"
          countNumber = 7
        }
        action = { type = "expire" }
      },
      {
        rulePriority = 2
        description  = "Tagged images after ${var.keep_tagged_days} days"
        selection = {
          tagStatus   = "any"
          countType   = "sinceImagePushed"
          countUnit   = "days"
          countNumber = var.keep_tagged_days
        }
        action = { type = "expire" }
      },
    ]
  })
}

################################################################################
# Replication to the DR region
################################################################################

# Images pushed here are copied to the DR region's registry, so the DR application starts
# without the primary region (ECR user guide, "Private image replication").
resource "aws_ecr_replication_configuration" "this" {
  count = local.create && var.replication_region != null ? 1 : 0

  replication_configuration {
    rule {
      destination {
        region      = var.replication_region
        registry_id = data.aws_caller_identity.current.account_id
      }

      repository_filter {
        filter      = "${var.name}/"
        filter_type = "PREFIX_MATCH"
      }
    }
  }

  depends_on = [aws_ecr_repository_creation_template.replication]
}

# Replicated repositories are created in the DR region from this template: immutable tags, scan
# on push, that region's CMK, same lifecycle. A template that names a KMS key needs a role ECR
# assumes (ECR user guide, "Create an IAM role for repository creation templates").
data "aws_iam_policy_document" "template_assume" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["ecr.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [data.aws_caller_identity.current.account_id]
    }
  }
}

resource "aws_iam_role" "template" {
  count = local.create_template ? 1 : 0

  name_prefix        = "${var.name}-ecr-template-"
  assume_role_policy = data.aws_iam_policy_document.template_assume.json

  tags = var.tags
}

data "aws_iam_policy_document" "template" {
  count = local.create_template ? 1 : 0

  statement {
    sid       = "CreateReplicaRepositories"
    actions   = ["ecr:CreateRepository", "ecr:ReplicateImage", "ecr:TagResource"]
    resources = ["arn:aws:ecr:${var.replication_region}:${data.aws_caller_identity.current.account_id}:repository/${var.name}/*"]
  }

  statement {
    sid       = "UseReplicaKey"
    actions   = ["kms:CreateGrant", "kms:RetireGrant", "kms:DescribeKey"]
    resources = [var.replication_kms_key_arn]
  }
}

resource "aws_iam_role_policy" "template" {
  count = local.create_template ? 1 : 0

  name   = "create-replica-repositories"
  role   = aws_iam_role.template[0].id
  policy = data.aws_iam_policy_document.template[0].json
}

resource "aws_ecr_repository_creation_template" "replication" {
  count    = local.create_template ? 1 : 0
  provider = aws.dr

  prefix               = var.name
  description          = "Replicas of ${var.name} images"
  applied_for          = ["REPLICATION"]
  image_tag_mutability = "IMMUTABLE"
  custom_role_arn      = aws_iam_role.template[0].arn

  encryption_configuration {
    encryption_type = "KMS"
    kms_key         = var.replication_kms_key_arn
  }

  lifecycle_policy = local.lifecycle_policy

  resource_tags = var.tags

  depends_on = [aws_iam_role_policy.template]
}
