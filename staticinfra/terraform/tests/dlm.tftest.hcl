# `tofu test` with a mocked provider: what the plan would create, without AWS.
mock_provider "aws" {
  mock_data "aws_iam_policy_document" {
    defaults = {
      json = "{\"Version\":\"2012-10-17\",\"Statement\":[]}"
    }
  }
  mock_data "aws_partition" {
    defaults = {
      partition = "aws"
    }
  }
  # A mock's computed ARN is a random string, which the DLM policy's ARN check refuses.
  mock_resource "aws_iam_role" {
    defaults = {
      arn = "arn:aws:iam::123456789012:role/ebs-host-dlm"
    }
  }
}

run "targets_the_role_volumes_daily" {
  command = plan

  assert {
    condition     = aws_dlm_lifecycle_policy.this[0].policy_details[0].target_tags == tomap({ ManagedBy = "ansible-ebs_host" })
    error_message = "The policy must target the volumes the ebs_host role tags ManagedBy=ansible-ebs_host."
  }

  assert {
    condition     = aws_dlm_lifecycle_policy.this[0].policy_details[0].resource_types == tolist(["VOLUME"])
    error_message = "The policy must snapshot volumes."
  }

  assert {
    condition     = aws_dlm_lifecycle_policy.this[0].policy_details[0].schedule[0].create_rule[0].interval == 24
    error_message = "Default: one snapshot a day."
  }

  assert {
    condition     = aws_dlm_lifecycle_policy.this[0].policy_details[0].schedule[0].retain_rule[0].count == 14
    error_message = "Default: keep 14 snapshots."
  }

  assert {
    condition     = aws_iam_role_policy_attachment.this[0].policy_arn == "arn:aws:iam::aws:policy/service-role/AWSDataLifecycleManagerServiceRole"
    error_message = "DLM's role must carry AWS's managed DLM policy."
  }
}

run "create_false_creates_nothing" {
  command = plan

  variables {
    create = false
  }

  assert {
    condition     = length(aws_dlm_lifecycle_policy.this) == 0 && length(aws_iam_role.this) == 0
    error_message = "create = false must create nothing."
  }
}

run "rejects_an_interval_dlm_does_not_accept" {
  command = plan

  variables {
    interval_hours = 5
  }

  expect_failures = [var.interval_hours]
}

run "rejects_empty_target_tags" {
  command = plan

  variables {
    target_tags = {}
  }

  expect_failures = [var.target_tags]
}
