"""Deliberately broken copies of a real plan, one per plan policy (CKV_SRE_1..6).

Each mutation re-creates, in a copy of the plan JSON, the defect issue 16 found, on the real
resource; the policy must then fail on that copy. A mutation that finds nothing to break raises,
so a renamed resource cannot make the test pass vacuously.
"""

from __future__ import annotations

import copy
import json
from typing import Any, Callable, Dict, Iterator, List

Plan = Dict[str, Any]


def _changes(plan: Plan, type_: str) -> Iterator[Dict[str, Any]]:
    for rc in plan.get("resource_changes", []):
        if rc["type"] == type_ and rc["change"].get("after") is not None:
            yield rc


def _statements(document: str) -> List[Dict[str, Any]]:
    statements = json.loads(document)["Statement"]
    return statements if isinstance(statements, list) else [statements]


def own_account_only_endpoint(plan: Plan) -> int:
    """CKV_SRE_1: the S3 gateway endpoint back to "principals of this account only"."""
    hit = 0
    for rc in _changes(plan, "aws_vpc_endpoint"):
        after = rc["change"]["after"]
        if str(after.get("service_name", "")).endswith(".s3") and after.get("policy"):
            after["policy"] = json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Principal": "*",
                            "Action": "*",
                            "Resource": "*",
                            "Condition": {"StringEquals": {"aws:PrincipalAccount": "123456789012"}},
                        }
                    ],
                }
            )
            hit += 1
    return hit


def table_only_dynamodb_dimensions(plan: Plan) -> int:
    """CKV_SRE_2: DynamoDB metrics per TableName only (drop Operation)."""
    hit = 0
    for rc in _changes(plan, "aws_cloudwatch_metric_alarm"):
        after = rc["change"]["after"]
        metrics = [after] + [
            m for q in after.get("metric_query") or [] for m in q.get("metric") or []
        ]
        for m in metrics:
            dims = m.get("dimensions") or {}
            if m.get("namespace") == "AWS/DynamoDB" and "Operation" in dims:
                del dims["Operation"]
                hit += 1
    return hit


def config_role_without_write_policy(plan: Plan) -> int:
    """CKV_SRE_3: the Config recorder role keeps only the managed AWS_ConfigRole."""
    roles = {
        str(rc["change"]["after"].get("role_arn", "")).rsplit("/", 1)[-1]
        for rc in _changes(plan, "aws_config_configuration_recorder")
    }
    before = len(plan["resource_changes"])
    plan["resource_changes"] = [
        rc
        for rc in plan["resource_changes"]
        if not (
            rc["type"] in ("aws_iam_role_policy", "aws_iam_role_policy_attachment")
            and str((rc["change"].get("after") or {}).get("role", "")).rsplit("/", 1)[-1] in roles
        )
    ]
    touched = before - len(plan["resource_changes"])
    # After an apply the role itself reports its inline policies (read back from IAM), so the
    # defect is only back when the role's own copy is gone too.
    for rc in _changes(plan, "aws_iam_role"):
        after = rc["change"]["after"]
        if after.get("name") in roles and after.get("inline_policy"):
            after["inline_policy"] = []
            touched += 1
    return touched


def root_gets_kms_star(plan: Plan) -> int:
    """CKV_SRE_4: AWS's default statement back: the account root may kms:* on every key."""
    hit = 0
    for rc in _changes(plan, "aws_kms_key"):
        after = rc["change"]["after"]
        if not after.get("policy"):
            continue
        statements = _statements(after["policy"])
        account = next(
            (p.split(":")[4] for s in statements for p in _principals(s) if ":iam::" in p),
            "123456789012",
        )
        statements.insert(
            0,
            {
                "Sid": "Default",
                "Effect": "Allow",
                "Action": "kms:*",
                "Resource": "*",
                "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
            },
        )
        after["policy"] = json.dumps({"Version": "2012-10-17", "Statement": statements})
        hit += 1
    return hit


def _principals(statement: Dict[str, Any]) -> List[str]:
    principal = statement.get("Principal")
    aws = principal.get("AWS", []) if isinstance(principal, dict) else []
    return aws if isinstance(aws, list) else [aws]


def log_groups_without_cmk(plan: Plan) -> int:
    """CKV_SRE_5: log groups created without kms_key_id."""
    hit = 0
    for rc in _changes(plan, "aws_cloudwatch_log_group"):
        rc["change"]["after"]["kms_key_id"] = None
        (rc["change"].get("after_unknown") or {}).pop("kms_key_id", None)
        hit += 1
    return hit


def ecs_service_without_postcondition(plan: Plan) -> int:
    """CKV_SRE_6: the task_definition postcondition removed (rollback = silent success)."""
    before = len(plan.get("checks") or [])
    plan["checks"] = [
        c
        for c in plan.get("checks") or []
        if (c.get("address") or {}).get("type") != "aws_ecs_service"
    ]
    return before - len(plan["checks"])


MUTATIONS: Dict[str, Callable[[Plan], int]] = {
    "CKV_SRE_1": own_account_only_endpoint,
    "CKV_SRE_2": table_only_dynamodb_dimensions,
    "CKV_SRE_3": config_role_without_write_policy,
    "CKV_SRE_4": root_gets_kms_star,
    "CKV_SRE_5": log_groups_without_cmk,
    "CKV_SRE_6": ecs_service_without_postcondition,
}


def broken_copy(plan: Plan, rule: str) -> tuple[Plan, int]:
    """A deep copy of `plan` with `rule`'s defect put back, and how many resources it touched."""
    mutated = copy.deepcopy(plan)
    return mutated, MUTATIONS[rule](mutated)
