"""The plan policies of infra/policies/checks (CKV_SRE_1..6) on small plans built here.

Each rule runs on a deliberately broken subject (must FAIL) and on the same subject fixed (must
PASS), plus on `fixtures/plans/before-issue-16.json`: the plan of the stack as issue 16 reviewed
it (trimmed to the subjects), where every rule must fail on the defect the issue names. The
real plans of each root are checked in test_e2e_moto.py (both engines, after a moto apply).

One checkov run covers all plans (a run costs ~10 s), the tests then read its results.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Dict, List, Optional

import pytest

from tests.infra.policyrun import RULES, Results, run_policies

FIXTURES = Path(__file__).parent / "fixtures" / "plans"
ACCOUNT = "111122223333"
REGION = "eu-west-1"
ROOT = f"arn:aws:iam::{ACCOUNT}:root"


def resource(
    address: str, values: Dict[str, Any], unknown: Optional[Dict[str, Any]] = None
) -> Dict[str, Any]:
    type_ = address.split(".")[-2]
    return {
        "address": address,
        "mode": "managed",
        "type": type_,
        "name": address.split(".")[-1].split("[")[0],
        "provider_name": "registry.terraform.io/hashicorp/aws",
        "change": {
            "actions": ["create"],
            "before": None,
            "after": values,
            "after_unknown": unknown or {},
        },
    }


def plan(*changes: Dict[str, Any], checks: Optional[List[str]] = None) -> Dict[str, Any]:
    """A minimal `show -json` plan: resource_changes, planned_values and the `checks` list."""
    identity = {
        "address": "data.aws_caller_identity.current",
        "mode": "data",
        "type": "aws_caller_identity",
        "name": "current",
        "values": {"account_id": ACCOUNT},
    }
    return {
        "format_version": "1.2",
        "terraform_version": "1.11.4",
        "planned_values": {
            "root_module": {
                "resources": [
                    {
                        "address": c["address"],
                        "mode": "managed",
                        "type": c["type"],
                        "name": c["name"],
                        "values": c["change"]["after"],
                    }
                    for c in changes
                ]
            }
        },
        "resource_changes": list(changes),
        "prior_state": {
            "format_version": "1.0",
            "values": {"root_module": {"resources": [identity]}},
        },
        "configuration": {"root_module": {}},
        "checks": [
            {
                "address": {"kind": "resource", "mode": "managed", "to_display": a},
                "status": "unknown",
            }
            for a in (checks or [])
        ],
    }


def policy(*statements: Dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


# --- CKV_SRE_1: ECR layers through the S3 gateway endpoint --------------------------------

LAYERS = {
    "Sid": "EcrLayers",
    "Effect": "Allow",
    "Principal": "*",
    "Action": "s3:GetObject",
    "Resource": f"arn:aws:s3:::prod-{REGION}-starport-layer-bucket/*",
}
OWN_ACCOUNT = {
    "Sid": "OwnAccountOnly",
    "Effect": "Allow",
    "Principal": "*",
    "Action": "*",
    "Resource": "*",
    "Condition": {"StringEquals": {"aws:PrincipalAccount": ACCOUNT}},
}


def s3_endpoint(endpoint_policy: Optional[str]) -> Dict[str, Any]:
    return resource(
        "aws_vpc_endpoint.gateway",
        {
            "service_name": f"com.amazonaws.{REGION}.s3",
            "vpc_endpoint_type": "Gateway",
            "policy": endpoint_policy,
        },
    )


# --- CKV_SRE_2: metric/dimension pairs ----------------------------------------------------


def alarm(name: str, namespace: str, metric: str, dims: Dict[str, str]) -> Dict[str, Any]:
    return resource(
        f"aws_cloudwatch_metric_alarm.{name}",
        {"namespace": namespace, "metric_name": metric, "dimensions": dims},
    )


def dashboard(rows: List[List[Any]]) -> Dict[str, Any]:
    body = {"widgets": [{"type": "metric", "properties": {"metrics": rows}}]}
    return resource("aws_cloudwatch_dashboard.this", {"dashboard_body": json.dumps(body)})


# --- CKV_SRE_3: the Config role's write path ----------------------------------------------

ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/config-recorder"
KEY_ARN = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
DELIVERY: List[Dict[str, Any]] = [
    {
        "Effect": "Allow",
        "Action": "s3:PutObject",
        "Resource": f"arn:aws:s3:::audit-bucket/config/AWSLogs/{ACCOUNT}/*",
    },
    {"Effect": "Allow", "Action": "s3:GetBucketAcl", "Resource": "arn:aws:s3:::audit-bucket"},
    {"Effect": "Allow", "Action": ["kms:GenerateDataKey", "kms:Decrypt"], "Resource": KEY_ARN},
]


def config_plan(role_policy: Optional[str]) -> Dict[str, Any]:
    changes = [
        resource("aws_config_configuration_recorder.this", {"name": "rec", "role_arn": ROLE_ARN}),
        resource(
            "aws_config_delivery_channel.this",
            {
                "s3_bucket_name": "audit-bucket",
                "s3_key_prefix": "config",
                "s3_kms_key_arn": KEY_ARN,
            },
        ),
        resource("aws_iam_role.config", {"name": "config-recorder", "arn": ROLE_ARN}),
        resource(
            "aws_iam_role_policy_attachment.managed",
            {
                "role": "config-recorder",
                "policy_arn": "arn:aws:iam::aws:policy/service-role/AWS_ConfigRole",
            },
        ),
    ]
    if role_policy is not None:
        changes.append(
            resource(
                "aws_iam_role_policy.deliver", {"role": "config-recorder", "policy": role_policy}
            )
        )
    return plan(*changes)


# --- CKV_SRE_4: KMS administrators vs users -----------------------------------------------

ADMIN = {
    "Sid": "KeyAdministration",
    "Effect": "Allow",
    "Principal": {"AWS": ROOT},
    "Action": [
        "kms:Create*",
        "kms:Describe*",
        "kms:Enable*",
        "kms:List*",
        "kms:Put*",
        "kms:Update*",
        "kms:Revoke*",
        "kms:Disable*",
        "kms:Get*",
        "kms:Delete*",
        "kms:TagResource",
        "kms:UntagResource",
        "kms:ScheduleKeyDeletion",
        "kms:CancelKeyDeletion",
    ],
    "Resource": "*",
}
VIA_SERVICE = {
    "Sid": "UseViaDynamoDB",
    "Effect": "Allow",
    "Principal": {"AWS": ROOT},
    "Action": ["kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey*"],
    "Resource": "*",
    "Condition": {
        "StringEquals": {
            "kms:ViaService": f"dynamodb.{REGION}.amazonaws.com",
            "kms:CallerAccount": ACCOUNT,
        }
    },
}


def key(key_policy: Optional[str]) -> Dict[str, Any]:
    return resource("aws_kms_key.this", {"policy": key_policy, "enable_key_rotation": True})


# --- CKV_SRE_5: log groups with a CMK -----------------------------------------------------


def log_group(name: str, kms: Any) -> Dict[str, Any]:
    unknown = {"kms_key_id": True} if kms is True else {}
    return resource(
        f"aws_cloudwatch_log_group.{name.strip('/').replace('/', '_')}",
        {"name": name, "kms_key_id": None if kms is True else kms},
        unknown,
    )


def cluster(insights: str) -> Dict[str, Any]:
    return resource(
        "aws_ecs_cluster.this",
        {"name": "user-api", "setting": [{"name": "containerInsights", "value": insights}]},
    )


# --- CKV_SRE_6: a failed deployment fails the apply ---------------------------------------


def service(wait: bool, enable: bool = True, rollback: bool = True) -> Dict[str, Any]:
    return resource(
        "module.service.aws_ecs_service.this[0]",
        {
            "wait_for_steady_state": wait,
            "deployment_circuit_breaker": [{"enable": enable, "rollback": rollback}],
        },
    )


SERVICE_CHECK = ["module.service.aws_ecs_service.this"]

# name: (rule, plan, expected outcome for that rule)
CASES: Dict[str, tuple[str, Dict[str, Any], str]] = {
    "endpoint_own_account_only": ("CKV_SRE_1", plan(s3_endpoint(policy(OWN_ACCOUNT))), "failed"),
    "endpoint_layers_with_condition": (
        "CKV_SRE_1",
        plan(
            s3_endpoint(
                policy(
                    OWN_ACCOUNT,
                    {**LAYERS, "Condition": {"StringEquals": {"aws:ResourceAccount": ACCOUNT}}},
                )
            )
        ),
        "failed",
    ),
    "endpoint_layers_denied": (
        "CKV_SRE_1",
        plan(
            s3_endpoint(
                policy(
                    OWN_ACCOUNT,
                    LAYERS,
                    {
                        "Effect": "Deny",
                        "Principal": "*",
                        "Action": "s3:*",
                        "NotResource": f"arn:aws:s3:::*-{ACCOUNT}/*",
                    },
                )
            )
        ),
        "failed",
    ),
    "endpoint_layers_other_region": (
        "CKV_SRE_1",
        plan(
            s3_endpoint(
                policy(
                    OWN_ACCOUNT,
                    {**LAYERS, "Resource": "arn:aws:s3:::prod-us-east-1-starport-layer-bucket/*"},
                )
            )
        ),
        "failed",
    ),
    "endpoint_layers_allowed": (
        "CKV_SRE_1",
        plan(s3_endpoint(policy(OWN_ACCOUNT, LAYERS))),
        "passed",
    ),
    "endpoint_without_policy": ("CKV_SRE_1", plan(s3_endpoint(None)), "passed"),
    "ddb_throttles_per_table": (
        "CKV_SRE_2",
        plan(alarm("t", "AWS/DynamoDB", "ThrottledRequests", {"TableName": "users"})),
        "failed",
    ),
    "ddb_user_errors_per_table": (
        "CKV_SRE_2",
        plan(alarm("u", "AWS/DynamoDB", "UserErrors", {"TableName": "users"})),
        "failed",
    ),
    "ddb_documented_pairs": (
        "CKV_SRE_2",
        plan(
            alarm(
                "t",
                "AWS/DynamoDB",
                "ThrottledRequests",
                {"TableName": "users", "Operation": "PutItem"},
            ),
            alarm("u", "AWS/DynamoDB", "UserErrors", {}),
            alarm(
                "h",
                "AWS/ApplicationELB",
                "HealthyHostCount",
                {"LoadBalancer": "app/x/1", "TargetGroup": "targetgroup/y/2"},
            ),
            alarm("custom", "UserApi", "Anything", {"Whatever": "x"}),
        ),
        "passed",
    ),
    "alb_healthy_hosts_per_lb": (
        "CKV_SRE_2",
        plan(alarm("h", "AWS/ApplicationELB", "HealthyHostCount", {"LoadBalancer": "app/x/1"})),
        "failed",
    ),
    "undocumented_metric": (
        "CKV_SRE_2",
        plan(alarm("x", "AWS/ECS", "CPUUtilisation", {"ClusterName": "c"})),
        "failed",
    ),
    "dashboard_shorthand_wrong": (
        "CKV_SRE_2",
        plan(
            dashboard(
                [
                    [
                        "AWS/DynamoDB",
                        "SuccessfulRequestLatency",
                        "TableName",
                        "users",
                        "Operation",
                        "GetItem",
                    ],
                    [".", "SystemErrors", "TableName", "users"],
                ]
            )
        ),
        "failed",
    ),
    "dashboard_shorthand_right": (
        "CKV_SRE_2",
        plan(
            dashboard(
                [
                    ["AWS/DynamoDB", "SystemErrors", "TableName", "users", "Operation", "GetItem"],
                    ["...", "PutItem", {"stat": "Sum"}],
                    [".", "UserErrors"],
                    [{"expression": "m1+m2", "label": "sum"}],
                ]
            )
        ),
        "passed",
    ),
    "config_role_managed_policy_only": ("CKV_SRE_3", config_plan(None), "failed"),
    "config_role_no_kms": ("CKV_SRE_3", config_plan(policy(*DELIVERY[:2])), "failed"),
    "config_role_wrong_prefix": (
        "CKV_SRE_3",
        config_plan(
            policy(
                {
                    **DELIVERY[0],
                    "Resource": f"arn:aws:s3:::audit-bucket/cloudtrail/AWSLogs/{ACCOUNT}/*",
                },
                *DELIVERY[1:],
            )
        ),
        "failed",
    ),
    "config_role_can_deliver": ("CKV_SRE_3", config_plan(policy(*DELIVERY)), "passed"),
    "kms_root_star": (
        "CKV_SRE_4",
        plan(
            key(
                policy(
                    {
                        "Effect": "Allow",
                        "Principal": {"AWS": ROOT},
                        "Action": "kms:*",
                        "Resource": "*",
                    }
                )
            )
        ),
        "failed",
    ),
    "kms_root_decrypt_bare_account": (
        "CKV_SRE_4",
        plan(
            key(
                policy(
                    ADMIN,
                    {
                        "Effect": "Allow",
                        "Principal": {"AWS": ACCOUNT},
                        "Action": "kms:Decrypt",
                        "Resource": "*",
                    },
                )
            )
        ),
        "failed",
    ),
    "kms_anyone_not_action": (
        "CKV_SRE_4",
        plan(
            key(
                policy(
                    ADMIN,
                    {
                        "Effect": "Allow",
                        "Principal": "*",
                        "NotAction": "kms:Delete*",
                        "Resource": "*",
                        "Condition": {"StringEquals": {"kms:CallerAccount": ACCOUNT}},
                    },
                )
            )
        ),
        "failed",
    ),
    "kms_no_administrator": ("CKV_SRE_4", plan(key(policy(VIA_SERVICE))), "failed"),
    "kms_default_policy": ("CKV_SRE_4", plan(key(None)), "failed"),
    "kms_admins_and_users": ("CKV_SRE_4", plan(key(policy(ADMIN, VIA_SERVICE))), "passed"),
    "log_group_without_cmk": ("CKV_SRE_5", plan(log_group("/ecs/app", None)), "failed"),
    "log_group_cmk_known_after_apply": ("CKV_SRE_5", plan(log_group("/ecs/app", True)), "passed"),
    "insights_group_left_to_ecs": ("CKV_SRE_5", plan(cluster("enabled")), "failed"),
    "insights_group_in_plan": (
        "CKV_SRE_5",
        plan(
            cluster("enhanced"),
            log_group("/aws/ecs/containerinsights/user-api/performance", KEY_ARN),
        ),
        "passed",
    ),
    "ecs_no_wait": ("CKV_SRE_6", plan(service(wait=False), checks=SERVICE_CHECK), "failed"),
    "ecs_no_breaker": (
        "CKV_SRE_6",
        plan(service(wait=True, enable=False), checks=SERVICE_CHECK),
        "failed",
    ),
    "ecs_rollback_without_postcondition": ("CKV_SRE_6", plan(service(wait=True)), "failed"),
    "ecs_rollback_with_postcondition": (
        "CKV_SRE_6",
        plan(service(wait=True), checks=SERVICE_CHECK),
        "passed",
    ),
}

# The plan issue 16 reviewed: the resource each defect lives in fails its rule, for that defect.
BEFORE_ISSUE_16 = {
    "CKV_SRE_1": ('module.network.aws_vpc_endpoint.gateway["s3"]', "starport-layer-bucket"),
    "CKV_SRE_2": (
        'module.observability.aws_cloudwatch_metric_alarm.dynamodb["throttled-requests"]',
        "AWS publishes only {Operation, TableName}",
    ),
    "CKV_SRE_3": ("module.security.aws_config_delivery_channel.this[0]", "s3:PutObject"),
    "CKV_SRE_4": ('module.kms["dynamodb"].aws_kms_key.this[0]', "kms:Decrypt"),
    "CKV_SRE_5": ("module.service.aws_ecs_cluster.this[0]", "containerinsights"),
    "CKV_SRE_6": ("module.service.aws_ecs_service.this[0]", "no postcondition"),
}


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> Results:
    folder = tmp_path_factory.mktemp("plans")
    for name, (_, subject, _) in CASES.items():
        (folder / f"{name}.json").write_text(json.dumps(subject))
    (folder / "before-issue-16.json").write_text((FIXTURES / "before-issue-16.json").read_text())
    return run_policies(folder)


def test_every_rule_has_a_failing_and_a_passing_case() -> None:
    for rule in RULES:
        outcomes = {expected for r, _, expected in CASES.values() if r == rule}
        assert outcomes == {"failed", "passed"}, rule


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(CASES))
def test_rule_on_small_plan(name: str, results: Results) -> None:
    rule, _, expected = CASES[name]
    outcome = results[f"{name}.json"][rule]
    other = "passed" if expected == "failed" else "failed"
    assert outcome[expected], f"{rule} did not report {expected} on {name}: {outcome}"
    assert not outcome[other], f"{rule} also reported {other} on {name}: {outcome}"


@pytest.mark.slow
@pytest.mark.parametrize("rule", RULES)
def test_rule_fails_on_the_plan_issue_16_reviewed(rule: str, results: Results) -> None:
    address, reason = BEFORE_ISSUE_16[rule]
    failed = dict(results["before-issue-16.json"][rule]["failed"])
    assert address in failed, failed
    assert reason in " ".join(failed[address] or []), failed[address]
