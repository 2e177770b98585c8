"""CKV_SRE_1: an S3 gateway endpoint must let ECR's image layers through.

ECR serves image layers from the AWS-owned bucket prod-<region>-starport-layer-bucket through
URLs ECR signs itself. Without NAT, a task reaches it only through the S3 gateway endpoint, so
the endpoint policy must allow s3:GetObject on that bucket to any principal, with no condition
(the request's principal and resource account are AWS's, not ours). Otherwise every image pull
fails with CannotPullContainerError — and moto enforces no endpoint policy, so only this check
catches it.

AWS: "Minimum Amazon S3 bucket permissions for Amazon ECR",
https://docs.aws.amazon.com/AmazonECR/latest/userguide/vpc-endpoints.html#ecr-minimum-s3-perms
"""

from __future__ import annotations

import re
from typing import Any, Dict

import sre_planlib as lib
from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck

DOC = (
    "https://docs.aws.amazon.com/AmazonECR/latest/userguide/vpc-endpoints.html#ecr-minimum-s3-perms"
)
S3_SERVICE = re.compile(r"^com\.amazonaws\.([a-z0-9-]+)\.s3$")


def layer_object_arn(region: str) -> str:
    return f"arn:aws:s3:::prod-{region}-starport-layer-bucket/sha256/layer"


class EcrLayerBucketThroughS3Endpoint(BaseResourceCheck):
    def __init__(self) -> None:
        super().__init__(
            name="S3 gateway endpoint lets ECR layers (starport-layer-bucket) through",
            id="CKV_SRE_1",
            categories=[CheckCategories.NETWORKING],
            supported_resources=["aws_vpc_endpoint"],
            guideline=DOC,
        )

    def scan_resource_conf(self, conf: Dict[str, Any]) -> CheckResult:
        _, endpoint = lib.plan_for(conf)
        if endpoint is None:
            return CheckResult.UNKNOWN
        service = endpoint.get("service_name")
        match = S3_SERVICE.match(service) if isinstance(service, str) else None
        if match is None or endpoint.get("vpc_endpoint_type") != "Gateway":
            return CheckResult.PASSED  # not an S3 gateway endpoint: nothing to carry
        policy = endpoint.get("policy")
        if policy in (None, ""):
            return CheckResult.PASSED  # no policy: the endpoint allows everything
        statements = lib.parse_policy(policy)
        if statements is None:
            self.details.append(
                "endpoint policy unknown at plan time: cannot prove ECR layers pass"
            )
            return CheckResult.FAILED
        arn = layer_object_arn(match.group(1))
        for s in statements:
            if s.effect == "Deny" and lib.statement_allows(s, "s3:GetObject", arn):
                self.details.append(f"a Deny statement covers s3:GetObject on {arn}")
                return CheckResult.FAILED
        allowed = any(
            s.effect == "Allow"
            and lib.is_anyone(s)
            and not s.conditions
            and lib.statement_allows(s, "s3:GetObject", arn)
            for s in statements
        )
        if not allowed:
            self.details.append(f"no unconditional Allow of s3:GetObject on {arn} ({DOC})")
            return CheckResult.FAILED
        return CheckResult.PASSED


check = EcrLayerBucketThroughS3Endpoint()
