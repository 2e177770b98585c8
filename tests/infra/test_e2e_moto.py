"""End to end: apply the prod root against moto, re-plan, use the table, tear everything down.

The run uses its own moto server (IAM with AWS managed policies loaded, ACM certificates issued
at once) and a scratch copy of infra/ with `fixtures/moto_override.tf` (local state, provider
switches for moto). `fixtures/moto.tfvars` switches off only what moto cannot serve; each one is
listed with its reason in infra/README.md.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional

import boto3
import pytest
import requests

from tests.infra.tfengine import REPO_ROOT, Engine, copy_infra, find_engine
from tests.support.localaws import MotoServer, free_port

FIXTURES = Path(__file__).parent / "fixtures"
REGION = "us-east-1"
DR_REGION = "us-west-2"
APP = REPO_ROOT / "docker" / "app" / "app.py"

# Attributes moto does not store or returns in another shape, so a re-plan against moto shows
# them as in-place updates although nothing changed. Any other change (and any create, delete or
# replace) fails the test. infra/README.md explains each.
KNOWN_MOTO_DRIFT: Dict[str, set[str]] = {
    # ListTags of AWS Backup returns nothing.
    "aws_backup_vault": {"tags_all"},
    "aws_backup_plan": {"tags_all"},
    # DescribeServices leaves these out.
    "aws_ecs_service": {
        "availability_zone_rebalancing",
        "enable_ecs_managed_tags",
        "health_check_grace_period_seconds",
    },
    # Rules that reference a security group or prefix list lose their description, and the
    # referenced group comes back as "<account>/<sg-id>".
    "aws_vpc_security_group_ingress_rule": {"description", "referenced_security_group_id"},
    "aws_vpc_security_group_egress_rule": {"description"},
}


@pytest.fixture
def e2e_moto(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[MotoServer]:
    """A private moto server for this test, with the standard AWS env pointed at it."""
    # The AWS Config role attaches the managed AWS_ConfigRole policy, which moto only knows
    # when it loads the AWS managed policies.
    monkeypatch.setenv("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
    monkeypatch.setenv("MOTO_ACM_VALIDATION_WAIT", "0")
    with MotoServer(log_path=tmp_path / "moto.log") as server:
        for key in ("AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_DEFAULT_PROFILE"):
            monkeypatch.delenv(key, raising=False)
        for key, value in server.env(REGION).items():
            monkeypatch.setenv(key, value)
        yield server


def _changed_attributes(change: Dict[str, Any]) -> List[str]:
    before = change.get("before") or {}
    after = change.get("after") or {}
    unknown = change.get("after_unknown") or {}
    keys = set(before) | set(after)
    return sorted(k for k in keys if before.get(k) != after.get(k) or unknown.get(k) is True)


def _unexpected_drift(plan_json: Dict[str, Any]) -> List[str]:
    problems = []
    for rc in plan_json.get("resource_changes", []):
        actions = rc["change"]["actions"]
        if actions in (["no-op"], ["read"]):
            continue
        if actions != ["update"]:
            problems.append(f"{rc['address']}: {actions}")
            continue
        allowed = KNOWN_MOTO_DRIFT.get(rc["type"], set())
        extra = [a for a in _changed_attributes(rc["change"]) if a not in allowed]
        if extra:
            problems.append(f"{rc['address']}: {extra}")
    return problems


class Stack:
    """The scratch copy of the prod root and the engine commands run on it."""

    def __init__(self, engine: Engine, root: Path, zone_id: str, env: Dict[str, str]):
        self.engine = engine
        self.root = root
        self.env = env
        self.var_args = [
            f"-var-file={FIXTURES / 'moto.tfvars'}",
            f"-var=route53_zone_id={zone_id}",
        ]

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return self.engine.run(
            [*args, "-input=false", "-no-color"], cwd=self.root, extra_env=self.env, check=check
        )

    def apply(self, *extra: str) -> None:
        self.run("apply", "-auto-approve", *self.var_args, *extra)

    def outputs(self) -> Dict[str, Any]:
        raw = self.engine.run(["output", "-json"], cwd=self.root, extra_env=self.env).stdout
        return {k: v["value"] for k, v in json.loads(raw).items()}


def _start_app(table: str, log_dir: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {
        **os.environ,
        "PORT": str(port),
        "HOST": "127.0.0.1",
        "USERS_TABLE": table,
        "LOG_DIR": str(log_dir),
    }
    proc = subprocess.Popen(
        [sys.executable, str(APP)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if requests.get(f"{base}/healthz", timeout=1).status_code == 200:
                return proc, base
        except requests.ConnectionError:
            time.sleep(0.2)
    proc.kill()
    raise AssertionError("the /user service did not become healthy")


def _assert_prod_properties(outputs: Dict[str, Any]) -> None:
    ddb = boto3.client("dynamodb")
    table = ddb.describe_table(TableName=outputs["table_name"])["Table"]
    assert table["SSEDescription"]["SSEType"] == "KMS"
    assert table["SSEDescription"]["KMSMasterKeyArn"] == outputs["kms_key_arns"]["dynamodb"]
    assert table["DeletionProtectionEnabled"] is True
    assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    backups = ddb.describe_continuous_backups(TableName=outputs["table_name"])
    pitr = backups["ContinuousBackupsDescription"]["PointInTimeRecoveryDescription"]
    assert pitr["PointInTimeRecoveryStatus"] == "ENABLED"

    elb = boto3.client("elbv2")
    (lb,) = elb.describe_load_balancers()["LoadBalancers"]
    attributes = {
        a["Key"]: a["Value"]
        for a in elb.describe_load_balancer_attributes(LoadBalancerArn=lb["LoadBalancerArn"])[
            "Attributes"
        ]
    }
    assert attributes["deletion_protection.enabled"] == "true"
    assert attributes["routing.http.drop_invalid_header_fields.enabled"] == "true"
    assert attributes["access_logs.s3.enabled"] == "true"
    listeners = {
        listener["Port"]: listener
        for listener in elb.describe_listeners(LoadBalancerArn=lb["LoadBalancerArn"])["Listeners"]
    }
    assert set(listeners) == {80, 443}
    assert listeners[443]["SslPolicy"].startswith("ELBSecurityPolicy-TLS13-")
    redirect = listeners[80]["DefaultActions"][0]["RedirectConfig"]
    assert (redirect["Protocol"], redirect["StatusCode"]) == ("HTTPS", "HTTP_301")

    ecs = boto3.client("ecs")
    (service,) = ecs.describe_services(
        cluster=outputs["cluster_name"], services=[outputs["service_name"]]
    )["services"]
    assert service["desiredCount"] >= 3
    subnets = service["networkConfiguration"]["awsvpcConfiguration"]["subnets"]
    azs = {
        s["AvailabilityZone"]
        for s in boto3.client("ec2").describe_subnets(SubnetIds=subnets)["Subnets"]
    }
    assert len(azs) == 3

    groups = boto3.client("logs").describe_log_groups()["logGroups"]
    assert len(groups) >= 4
    assert all(g.get("kmsKeyId") for g in groups), [g["logGroupName"] for g in groups]

    records = boto3.client("route53").list_resource_record_sets(
        HostedZoneId=outputs["route53_zone_id"]
    )["ResourceRecordSets"]
    www = [r for r in records if r["Name"].rstrip(".") == "www.somedomain.com" and r["Type"] == "A"]
    assert www and "AliasTarget" in www[0]

    waf = boto3.client("wafv2").get_web_acl_for_resource(ResourceArn=lb["LoadBalancerArn"])
    assert waf["WebACL"]["ARN"] == outputs["web_acl_arn"]


def _assert_nothing_left() -> None:
    assert boto3.client("dynamodb").list_tables()["TableNames"] == []
    assert boto3.client("elbv2").describe_load_balancers()["LoadBalancers"] == []
    assert boto3.client("logs").describe_log_groups()["logGroups"] == []
    assert boto3.client("s3").list_buckets()["Buckets"] == []
    assert boto3.client("sns").list_topics()["Topics"] == []
    # moto's DeleteTrail ignores a trail ARN (the provider deletes by ARN): the trail survives
    # destroy in moto only. It must be the one trail we made, and nothing else may be left.
    trails = boto3.client("cloudtrail").describe_trails()["trailList"]
    assert [t["Name"] for t in trails] in ([], ["user-api-trail"])
    assert boto3.client("ecr").describe_repositories()["repositories"] == []
    vpcs = boto3.client("ec2").describe_vpcs()["Vpcs"]
    assert all(v.get("IsDefault") for v in vpcs), [v["VpcId"] for v in vpcs]
    clusters = boto3.client("ecs").describe_clusters(clusters=["user-api"])["clusters"]
    assert all(c["status"] == "INACTIVE" for c in clusters)
    for region in (REGION, DR_REGION):
        backup = boto3.client("backup", region_name=region)
        assert backup.list_backup_vaults()["BackupVaultList"] == [], region
        kms = boto3.client("kms", region_name=region)
        # moto makes the AWS-managed keys (alias/aws/<service>) on first use, labelled CUSTOMER.
        aws_managed = {
            a["TargetKeyId"]
            for a in kms.list_aliases()["Aliases"]
            if a["AliasName"].startswith("alias/aws/") and "TargetKeyId" in a
        }
        for key in kms.list_keys()["Keys"]:
            meta = kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]
            if meta["KeyManager"] == "CUSTOMER" and key["KeyId"] not in aws_managed:
                assert meta["KeyState"] == "PendingDeletion", (region, meta["Description"])


@pytest.mark.integration
@pytest.mark.slow
@pytest.mark.timeout(2400)
def test_prod_root_applies_replans_clean_serves_users_and_destroys(
    e2e_moto: MotoServer, tmp_path: Path
) -> None:
    engine = find_engine(tmp_path / "plugin-cache")
    infra = copy_infra(tmp_path)
    root = infra / "environments" / "prod"
    shutil.copy(FIXTURES / "moto_override.tf", root / "moto_override.tf")
    zone_id = (
        boto3.client("route53")
        .create_hosted_zone(Name="somedomain.com", CallerReference="e2e")["HostedZone"]["Id"]
        .split("/")[-1]
    )
    stack = Stack(engine, root, zone_id, e2e_moto.env(REGION))

    stack.run("init")
    stack.apply()
    outputs = {**stack.outputs(), "route53_zone_id": zone_id}
    _assert_prod_properties(outputs)

    # Re-plan: nothing to create, destroy or replace; only the attributes moto cannot round-trip.
    plan = stack.run(
        "plan", "-detailed-exitcode", "-out=replan.tfplan", *stack.var_args, check=False
    )
    assert plan.returncode in (0, 2), plan.stdout + plan.stderr
    if plan.returncode == 2:
        shown = engine.run(["show", "-json", "replan.tfplan"], cwd=root, extra_env=stack.env)
        assert _unexpected_drift(json.loads(shown.stdout)) == []

    # The /user service writes and reads a user in the table Terraform created.
    app: Optional[subprocess.Popen[bytes]] = None
    try:
        app, base = _start_app(outputs["table_name"], tmp_path / "app-logs")
        user = {"user_id": "e2e-user-1", "name": "Ada Lovelace", "email": "ada@example.com"}
        created = requests.post(f"{base}/user", json=user, timeout=10)
        assert created.status_code == 201, created.text
        fetched = requests.get(f"{base}/user", params={"user_id": user["user_id"]}, timeout=10)
        assert fetched.status_code == 200 and fetched.json() == user
        item = boto3.client("dynamodb").get_item(
            TableName=outputs["table_name"], Key={"user_id": {"S": user["user_id"]}}
        )
        assert item["Item"]["email"]["S"] == user["email"]
    finally:
        if app is not None:
            app.terminate()
            app.wait(timeout=10)

    # Teardown as documented: lift deletion protection first, then destroy.
    stack.apply(
        "-var=enable_deletion_protection=false",
        "-target=module.edge.aws_lb.this",
        "-target=module.data.aws_dynamodb_table.this",
    )
    stack.run("destroy", "-auto-approve", *stack.var_args, "-var=enable_deletion_protection=false")
    state = engine.run(["state", "list"], cwd=root, extra_env=stack.env, check=False)
    assert state.stdout.strip() == "", state.stdout
    _assert_nothing_left()
