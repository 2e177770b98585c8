"""CKV_SRE_5: every CloudWatch Logs log group is encrypted with a customer managed key.

Log data is encrypted by CloudWatch Logs either way; associating a KMS key makes access to the
data depend on the key policy (which names the log groups through the
kms:EncryptionContext:aws:logs:arn condition). A log group ECS creates by itself (Container
Insights performance logs) gets no key: when a cluster turns Container Insights on, the plan must
create that group itself, with a key.

AWS: https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html
     https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Container-Insights-reference-performance-logs-ECS.html
     (log group /aws/ecs/containerinsights/<cluster>/performance)
"""

from __future__ import annotations

from typing import Any, Dict

import sre_planlib as lib
from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck

DOC = "https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html"


def has_cmk(group: lib.Resource) -> bool:
    key = group.get("kms_key_id")
    return key is lib.UNKNOWN or (isinstance(key, str) and key != "")


class LogGroupHasCmk(BaseResourceCheck):
    def __init__(self) -> None:
        super().__init__(
            name="CloudWatch log groups (including ECS Container Insights') use a KMS CMK",
            id="CKV_SRE_5",
            categories=[CheckCategories.ENCRYPTION],
            supported_resources=["aws_cloudwatch_log_group", "aws_ecs_cluster"],
            guideline=DOC,
        )

    def scan_resource_conf(self, conf: Dict[str, Any]) -> CheckResult:
        plan, resource = lib.plan_for(conf)
        if resource is None:
            return CheckResult.UNKNOWN
        if resource.type == "aws_cloudwatch_log_group":
            if has_cmk(resource):
                return CheckResult.PASSED
            self.details.append("kms_key_id is not set")
            return CheckResult.FAILED
        # aws_ecs_cluster: Container Insights writes to a log group ECS would create unencrypted.
        settings = resource.blocks("setting")
        insights = [
            s.get("value")
            for s in settings
            if isinstance(s, dict) and s.get("name") == "containerInsights"
        ]
        if not insights or insights[0] not in ("enabled", "enhanced"):
            return CheckResult.PASSED
        name = resource.get("name")
        wanted = f"/aws/ecs/containerinsights/{name}/performance"
        for group in plan.of_type("aws_cloudwatch_log_group"):
            if group.get("name") == wanted:
                if has_cmk(group):
                    return CheckResult.PASSED
                self.details.append(f"{wanted} has no kms_key_id")
                return CheckResult.FAILED
        self.details.append(
            f"Container Insights is on but the plan does not create {wanted} with a CMK"
        )
        return CheckResult.FAILED


check = LogGroupHasCmk()
