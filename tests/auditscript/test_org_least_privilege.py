"""The organisation policies in auditscript/iam/ are enough, enforced by moto's IAM.

A moto server with IAM enforcement (INITIAL_NO_AUTH_ACTION_COUNT: the first N requests build
the organisation, the runner user and the member roles; every later request is authorised).
The runner user in the management account holds iam/management-policy.json; each member
account has the role ``ec2-audit`` with iam/member-role-policy.json, except that member B's
copy lacks ec2:DescribeVolumes. moto authorises sts:AssumeRole against the runner's policy
(resource: the role ARN) and the member account's EC2 calls against the role's own policy; it
does not evaluate the member role's trust policy across accounts (see the README).
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict, Iterator

import boto3
import pytest

from tests.auditscript.conftest import AUDIT_PY, AUDITSCRIPT
from tests.auditscript.fleet import launch
from tests.support.localaws import MotoServer

pytestmark = [pytest.mark.integration, pytest.mark.py38]

IAM = AUDITSCRIPT / "iam"
# create_organization, 2 x create_account, 2 runners: create_user + put_user_policy +
# create_access_key, per member: assume_role + create_role + put_role_policy + run_instances,
# and the management account's run_instances.
SETUP_REQUESTS = 1 + 2 + 2 * 3 + 2 * 4 + 1


def _policy(name: str, drop: str = "") -> str:
    policy = json.loads((IAM / f"{name}.json").read_text())
    policy["Statement"] = [s for s in policy["Statement"] if s["Action"] != drop]
    for statement in policy["Statement"]:
        if isinstance(statement["Action"], list):
            statement["Action"] = [a for a in statement["Action"] if a != drop]
    return json.dumps(policy)


@pytest.fixture(scope="module")
def org_iam(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Dict[str, Any]]:
    log = tmp_path_factory.mktemp("org-iam-moto") / "moto.log"
    saved = os.environ.get("INITIAL_NO_AUTH_ACTION_COUNT")
    os.environ["INITIAL_NO_AUTH_ACTION_COUNT"] = str(SETUP_REQUESTS)
    try:
        server = MotoServer(log_path=log).start()
    finally:
        if saved is None:
            os.environ.pop("INITIAL_NO_AUTH_ACTION_COUNT")
        else:
            os.environ["INITIAL_NO_AUTH_ACTION_COUNT"] = saved
    try:
        admin: Dict[str, Any] = {
            "endpoint_url": server.endpoint,
            "region_name": "us-east-1",
            "aws_access_key_id": "testing",
            "aws_secret_access_key": "testing",
        }
        org = boto3.client("organizations", **admin)
        management = org.create_organization(FeatureSet="ALL")["Organization"]["MasterAccountId"]
        members = [
            org.create_account(AccountName=n, Email=f"{n}@example.com")["CreateAccountStatus"][
                "AccountId"
            ]
            for n in ("member-a", "member-b")
        ]
        iam = boto3.client("iam", **admin)
        keys = {}
        for user, drop in (("ec2-audit-runner", ""), ("no-list", "organizations:ListAccounts")):
            iam.create_user(UserName=user)
            iam.put_user_policy(
                UserName=user, PolicyName="ec2-audit-runner", PolicyDocument=_policy(
                    "management-policy", drop
                )
            )  # fmt: skip
            keys[user] = iam.create_access_key(UserName=user)["AccessKey"]
        runner_arn = f"arn:aws:iam::{management}:user/ec2-audit-runner"
        trust = (IAM / "member-role-trust-policy.json").read_text()
        trust = trust.replace(
            "arn:aws:iam::MANAGEMENT-ACCOUNT-ID:role/ec2-audit-runner", runner_arn
        )
        instances: Dict[str, str] = {}
        for account, drop in zip(members, ("", "ec2:DescribeVolumes")):
            answer = boto3.client("sts", **admin).assume_role(
                RoleArn=f"arn:aws:iam::{account}:role/setup", RoleSessionName="setup"
            )["Credentials"]
            member = dict(
                admin,
                aws_access_key_id=answer["AccessKeyId"],
                aws_secret_access_key=answer["SecretAccessKey"],
                aws_session_token=answer["SessionToken"],
            )
            member_iam = boto3.client("iam", **member)
            member_iam.create_role(RoleName="ec2-audit", AssumeRolePolicyDocument=trust)
            member_iam.put_role_policy(
                RoleName="ec2-audit",
                PolicyName="ec2-audit",
                PolicyDocument=_policy("member-role-policy", drop),
            )
            instances[account] = launch(boto3.client("ec2", **member))[0]["InstanceId"]
        instances[management] = launch(boto3.client("ec2", **admin))[0]["InstanceId"]
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env.update(server.env())
        envs = {
            user: dict(
                env,
                AWS_ACCESS_KEY_ID=key["AccessKeyId"],
                AWS_SECRET_ACCESS_KEY=key["SecretAccessKey"],
            )
            for user, key in keys.items()
        }
        yield {
            "env": envs["ec2-audit-runner"],
            "no_list_env": envs["no-list"],
            "management": management,
            "member_a": members[0],
            "member_b": members[1],
            "instances": instances,
        }
    finally:
        server.stop()


def test_org_policies_are_enough_and_a_missing_action_is_a_partial_failure(
    org_iam: Dict[str, Any], tmp_path: Path
) -> None:
    out = tmp_path / "org.csv"
    result = subprocess.run(
        [sys.executable, str(AUDIT_PY), "--org", "--region", "us-east-1", "--output", str(out)],
        env=org_iam["env"],
        cwd=str(tmp_path),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 9, result.stderr
    with open(out, newline="") as handle:
        found = {(r["AccountId"], r["InstanceID"]) for r in csv.DictReader(handle)}
    instances = org_iam["instances"]
    # The runner's own account (its own policy) and member A (the member role) are audited.
    assert found == {
        (org_iam["management"], instances[org_iam["management"]]),
        (org_iam["member_a"], instances[org_iam["member_a"]]),
    }
    # Member B's role lacks ec2:DescribeVolumes: that scope fails, named, with exit class 4.
    warnings = [line for line in result.stderr.splitlines() if "warning:" in line]
    assert len(warnings) == 1, result.stderr
    assert f"scope {org_iam['member_b']}/us-east-1 failed (exit class 4)" in warnings[0]
    assert "ec2:DescribeVolumes" in warnings[0]


def test_runner_without_list_accounts_exit_4(org_iam: Dict[str, Any], tmp_path: Path) -> None:
    out = tmp_path / "org.csv"
    result = subprocess.run(
        [sys.executable, str(AUDIT_PY), "--org", "--region", "us-east-1", "--output", str(out)],
        env=org_iam["no_list_env"],
        cwd=str(tmp_path),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 4, result.stderr
    assert "organizations:ListAccounts" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert list(tmp_path.iterdir()) == []
