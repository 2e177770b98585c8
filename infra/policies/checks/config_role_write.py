"""CKV_SRE_3: the role AWS Config records with can write where its delivery channel points.

"If you use an IAM role in the same account" (rather than the service-linked role), AWS Config
delivers configuration history and snapshots to the S3 bucket AS THAT ROLE: the role needs
s3:PutObject on <bucket>/<prefix>/AWSLogs/<account>/Config/* and s3:GetBucketAcl on the bucket,
and, when the channel names a KMS key, kms:GenerateDataKey (and kms:Decrypt) on that key. The
managed AWS_ConfigRole policy covers only the reads of resource configurations. moto checks no
IAM, so the delivery channel "works" there; on AWS it fails.

AWS: https://docs.aws.amazon.com/config/latest/developerguide/iamrole-permissions.html
     (#iam-role-policies-S3-bucket, #iam-role-policies-S3-kms-key)
     https://docs.aws.amazon.com/config/latest/developerguide/s3-kms-key-policy.html
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional

import sre_planlib as lib
from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck

DOC = "https://docs.aws.amazon.com/config/latest/developerguide/iamrole-permissions.html"
SERVICE_LINKED = "/aws-service-role/config.amazonaws.com/"


def role_name(arn: str) -> str:
    return arn.rsplit("/", 1)[-1]


def role_statements(plan: lib.Plan, name: str) -> Optional[List[lib.Statement]]:
    """Allow/Deny statements of the role's inline and attached customer policies in this plan."""
    statements: List[lib.Statement] = []
    documents: List[Any] = []
    for p in plan.of_type("aws_iam_role_policy"):
        role = p.get("role")
        if role is lib.UNKNOWN:
            return None
        if isinstance(role, str) and role_name(role) == name:
            documents.append(p.get("policy"))
    for role in plan.of_type("aws_iam_role"):
        if role.get("name") == name:
            for inline in role.blocks("inline_policy"):
                if inline.get("policy"):
                    documents.append(inline["policy"])
    policies = {p.get("arn"): p for p in plan.of_type("aws_iam_policy")}
    for a in plan.of_type("aws_iam_role_policy_attachment"):
        if a.get("role") == name and a.get("policy_arn") in policies:
            documents.append(policies[a.get("policy_arn")].get("policy"))
    for document in documents:
        parsed = lib.parse_policy(document)
        if parsed is None:
            return None
        statements.extend(parsed)
    return statements


def allowed(statements: List[lib.Statement], action: str, arn: str) -> bool:
    if any(s.effect == "Deny" and lib.statement_allows(s, action, arn) for s in statements):
        return False
    return any(s.effect == "Allow" and lib.statement_allows(s, action, arn) for s in statements)


class ConfigRoleCanDeliver(BaseResourceCheck):
    def __init__(self) -> None:
        super().__init__(
            name="AWS Config recorder role can write to its delivery bucket and key",
            id="CKV_SRE_3",
            categories=[CheckCategories.IAM],
            supported_resources=["aws_config_delivery_channel"],
            guideline=DOC,
        )

    def scan_resource_conf(self, conf: Dict[str, Any]) -> CheckResult:
        plan, channel = lib.plan_for(conf)
        if channel is None:
            return CheckResult.UNKNOWN
        recorders = plan.of_type("aws_config_configuration_recorder")
        if not recorders:
            self.details.append("no aws_config_configuration_recorder in this plan to check")
            return CheckResult.FAILED
        role_arn = recorders[0].get("role_arn")
        if not isinstance(role_arn, str):
            self.details.append("the recorder's role_arn is unknown at plan time")
            return CheckResult.FAILED
        if SERVICE_LINKED in role_arn:
            return (
                CheckResult.PASSED
            )  # Config then delivers as the service, under the bucket policy
        bucket, prefix = channel.get("s3_bucket_name"), channel.get("s3_key_prefix") or ""
        account = role_arn.split(":")[4]
        if not isinstance(bucket, str):
            self.details.append("the delivery bucket is unknown at plan time")
            return CheckResult.FAILED
        statements = role_statements(plan, role_name(role_arn))
        if statements is None:
            self.details.append("a policy of the recorder role is unknown at plan time")
            return CheckResult.FAILED
        key_prefix = f"{prefix.strip('/')}/" if prefix else ""
        wanted = [
            ("s3:PutObject", f"arn:aws:s3:::{bucket}/{key_prefix}AWSLogs/{account}/Config/x"),
            ("s3:GetBucketAcl", f"arn:aws:s3:::{bucket}"),
        ]
        key = channel.get("s3_kms_key_arn")
        if key is lib.UNKNOWN:
            self.details.append("the delivery channel's KMS key is unknown at plan time")
            return CheckResult.FAILED
        if isinstance(key, str) and key:
            wanted += [("kms:GenerateDataKey", key), ("kms:Decrypt", key)]
        missing = [f"{a} on {r}" for a, r in wanted if not allowed(statements, a, r)]
        if missing:
            self.details.append(f"role {role_name(role_arn)} lacks: {'; '.join(missing)}")
            return CheckResult.FAILED
        return CheckResult.PASSED


check = ConfigRoleCanDeliver()
