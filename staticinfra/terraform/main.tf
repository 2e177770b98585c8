# Daily EBS snapshots of the volumes the ebs_host role manages (Amazon Data Lifecycle Manager).
# The role tags every volume it creates with ManagedBy = ansible-ebs_host; DLM picks volumes by
# tag, so new hosts are covered without touching this module.
locals {
  create = var.create
}

################################################################################
# IAM role
################################################################################

data "aws_iam_policy_document" "assume" {
  count = local.create ? 1 : 0

  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["dlm.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "this" {
  count = local.create ? 1 : 0

  name               = "${var.name}-dlm"
  assume_role_policy = data.aws_iam_policy_document.assume[0].json
  tags               = var.tags
}

# AWS's managed policy for DLM's EBS snapshot policies (create/delete snapshots, describe volumes).
resource "aws_iam_role_policy_attachment" "this" {
  count = local.create ? 1 : 0

  role       = aws_iam_role.this[0].name
  policy_arn = "arn:${data.aws_partition.current[0].partition}:iam::aws:policy/service-role/AWSDataLifecycleManagerServiceRole"
}

data "aws_partition" "current" {
  count = local.create ? 1 : 0
}

################################################################################
# Lifecycle policy
################################################################################

resource "aws_dlm_lifecycle_policy" "this" {
  count = local.create ? 1 : 0

  # DLM accepts only letters, digits, spaces, _ and - in a description.
  description        = "${var.name} snapshots of ebs_host volumes every ${var.interval_hours} h keep ${var.retain_count}"
  execution_role_arn = aws_iam_role.this[0].arn
  state              = "ENABLED"
  tags               = var.tags

  policy_details {
    resource_types = ["VOLUME"]
    target_tags    = var.target_tags

    schedule {
      name = "every-${var.interval_hours}h-keep-${var.retain_count}"
      # Snapshots carry the volume's tags (Name, slot, MountPoint), so a restore finds its slot.
      copy_tags = true

      create_rule {
        interval      = var.interval_hours
        interval_unit = "HOURS"
        times         = [var.start_time]
      }

      retain_rule {
        count = var.retain_count
      }

      tags_to_add = {
        SnapshotCreator = "dlm"
      }
    }
  }
}
