"""CKV_SRE_4: in a key policy the account root administers the key; it does not use it.

AWS's default key policy gives the account (root) `kms:*`, which "enables IAM policies": any IAM
principal with an identity policy allowing kms:Decrypt — every admin — can then read all data
under the key. AWS's console policy separates *key administrators* (Create*, Describe*,
Enable*, List*, Put*, Update*, Revoke*, Disable*, Get*, Delete*, TagResource, UntagResource,
ScheduleKeyDeletion, CancelKeyDeletion, RotateKeyOnDemand) from *key users* (Encrypt, Decrypt,
ReEncrypt*, GenerateDataKey*, DescribeKey).

The rule, precisely, for every aws_kms_key policy:
  1. No Allow statement whose principal is the account root (arn:<partition>:iam::<account>:root
     or the bare account id) or anyone ("*") may cover a cryptographic operation (the list
     below), unless the statement is limited to use through AWS services by a kms:ViaService
     condition (the pattern of AWS managed keys' policies).
  2. Some Allow statement must grant kms:PutKeyPolicy to an AWS principal, so the key can
     never become unmanageable (the reason the default policy names the account).

AWS: https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html
     (#key-policy-default-allow-root-enable-iam, #key-policy-default-allow-administrators,
      #key-policy-default-allow-users)
     https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-via-service
"""

from __future__ import annotations

import re
from typing import Any, Dict

import sre_planlib as lib
from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck

DOC = "https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html"
CRYPTO_ACTIONS = [
    "kms:Encrypt",
    "kms:Decrypt",
    "kms:ReEncryptFrom",
    "kms:ReEncryptTo",
    "kms:GenerateDataKey",
    "kms:GenerateDataKeyWithoutPlaintext",
    "kms:GenerateDataKeyPair",
    "kms:GenerateDataKeyPairWithoutPlaintext",
    "kms:Sign",
    "kms:Verify",
    "kms:GenerateMac",
    "kms:VerifyMac",
    "kms:DeriveSharedSecret",
]
ROOT = re.compile(r"^(arn:aws[a-z-]*:iam::\d{12}:root|\d{12})$")


def covers(s: lib.Statement, action: str) -> bool:
    if s.not_actions:
        return not lib.action_matches(s.not_actions, action)
    return lib.action_matches(s.actions, action)


class KmsRootAdministersOnly(BaseResourceCheck):
    def __init__(self) -> None:
        super().__init__(
            name="KMS key policy: root/anyone administer, use only via kms:ViaService",
            id="CKV_SRE_4",
            categories=[CheckCategories.ENCRYPTION],
            supported_resources=["aws_kms_key"],
            guideline=DOC,
        )

    def scan_resource_conf(self, conf: Dict[str, Any]) -> CheckResult:
        _, key = lib.plan_for(conf)
        if key is None:
            return CheckResult.UNKNOWN
        statements = lib.parse_policy(key.get("policy"))
        if statements is None:
            self.details.append(
                "no key policy (AWS's default gives the root kms:*) or unknown at plan time"
            )
            return CheckResult.FAILED
        for s in statements:
            if s.effect != "Allow":
                continue
            broad = lib.is_anyone(s) or any(ROOT.match(p) for p in s.principals.get("AWS", []))
            if not broad or "kms:viaservice" in s.condition_keys():
                continue
            used = [a for a in CRYPTO_ACTIONS if covers(s, a)]
            if used:
                self.details.append(
                    f"account root/anyone may {', '.join(used)} without kms:ViaService"
                )
                return CheckResult.FAILED
        if not any(
            s.effect == "Allow" and s.principals.get("AWS") and covers(s, "kms:PutKeyPolicy")
            for s in statements
        ):
            self.details.append(
                "no AWS principal may kms:PutKeyPolicy: the key could become unmanageable"
            )
            return CheckResult.FAILED
        return CheckResult.PASSED


check = KmsRootAdministersOnly()
