"""Org mode against moto over HTTP: an Organization, roles assumed per account, partial failures.

moto supports Organizations and STS AssumeRole: the credentials of an assumed role belong to
the account named in the role ARN, so instances launched with them land in that account.
What moto does not do is refuse: it lets anyone assume any role and enforces no service
control policy. The two refusals the issue asks for come from the proxy in front of it
(throttle_proxy.py), with the error bodies AWS sends: AccessDenied from sts:AssumeRole (the
role is missing or does not trust the caller) and UnauthorizedOperation "with an explicit deny
in a service control policy" for every EC2 call in a region the organisation denies.
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict, List, Set, Tuple

import boto3
import pytest

from tests.auditscript.conftest import AUDIT_PY
from tests.auditscript.fleet import launch
from tests.auditscript.throttle_proxy import (
    Refusal,
    ThrottleProxy,
    ec2_scp_denied,
    sts_assume_role_denied,
)
from tests.support.localaws import MotoServer

pytestmark = [pytest.mark.integration, pytest.mark.py38]

REGIONS = ("us-east-1", "eu-west-1", "ap-southeast-2")
DENIED_REGION = "ap-southeast-2"
ROLE = "audit/ec2-audit-reader"  # with a path, as roles deployed by StackSets often are
EXTERNAL_ID = "audit-2024"
SESSION = "ec2-audit-test"
EC2_ACTIONS = {"DescribeInstances", "DescribeVolumes", "DescribeInstanceTypes", "DescribeRegions"}

Scope = Tuple[str, str]


def _credentials(account: str, management: str, env: Dict[str, str]) -> Dict[str, Any]:
    own: Dict[str, Any] = {
        "endpoint_url": env["AWS_ENDPOINT_URL"],
        "aws_access_key_id": env["AWS_ACCESS_KEY_ID"],
        "aws_secret_access_key": env["AWS_SECRET_ACCESS_KEY"],
    }
    if account == management:
        return own  # moto's default account
    answer = boto3.client("sts", region_name="us-east-1", **own).assume_role(
        RoleArn=f"arn:aws:iam::{account}:role/seed", RoleSessionName="seed"
    )["Credentials"]
    return {
        "endpoint_url": env["AWS_ENDPOINT_URL"],
        "aws_access_key_id": answer["AccessKeyId"],
        "aws_secret_access_key": answer["SecretAccessKey"],
        "aws_session_token": answer["SessionToken"],
    }


@pytest.fixture(scope="module")
def org(moto_server: MotoServer) -> Dict[str, Any]:
    """Management + 3 member accounts (one whose role will be refused) + 1 closed account.

    Every live account gets a different number of instances in each of the three regions, so a
    row counted in the wrong scope cannot go unnoticed. Built once for the module (moto makes
    a backend per account and region on first use, about a second each on a busy machine);
    the tests only read it.
    """
    moto_server.reset()
    env = dict(os.environ, **moto_server.env())
    for key in ("AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_PROFILE", "AWS_DEFAULT_PROFILE"):
        env.pop(key, None)
    organizations = boto3.client(
        "organizations", region_name="us-east-1", **_credentials("", "", env)
    )
    management = organizations.create_organization(FeatureSet="ALL")["Organization"][
        "MasterAccountId"
    ]
    members = [
        organizations.create_account(AccountName=f"member-{n}", Email=f"m{n}@example.com")[
            "CreateAccountStatus"
        ]["AccountId"]
        for n in range(4)
    ]
    closed = members.pop()
    organizations.close_account(AccountId=closed)
    accounts = [management, *members]
    instances: Dict[Scope, Set[str]] = {}
    for a, account in enumerate(accounts):
        credentials = _credentials(account, management, env)
        for r, region in enumerate(REGIONS):
            ec2 = boto3.client("ec2", region_name=region, **credentials)
            launched = launch(ec2, "t3.micro", count=1 + (a + r) % 3)
            instances[(account, region)] = {i["InstanceId"] for i in launched}
    launch(boto3.client("ec2", region_name="us-east-1", **_credentials(closed, management, env)))
    return {
        "env": env,
        "management": management,
        "members": members,
        "denied_account": members[1],
        "closed": closed,
        "instances": instances,
    }


def _refuser(denied_account: str, seen: List[Dict[str, str]]) -> Any:
    def refuse(action: str, region: str, params: Dict[str, str]) -> Refusal:
        if action == "AssumeRole":
            seen.append(params)
            if f":{denied_account}:" in params.get("RoleArn", ""):
                return sts_assume_role_denied(
                    "arn:aws:iam::123456789012:user/auditor", params["RoleArn"]
                )
        if action in EC2_ACTIONS and region == DENIED_REGION:
            return ec2_scp_denied(action, "arn:aws:sts::000000000000:assumed-role/x/y")
        return None

    return refuse


def _run(env: Dict[str, str], cwd: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(AUDIT_PY), *args],
        env=env,
        cwd=str(cwd),
        capture_output=True,
        text=True,
        timeout=300,
    )


def _read_csv(path: Path) -> List[Dict[str, str]]:
    with open(path, newline="") as handle:
        return list(csv.DictReader(handle))


def test_org_partial_failures_keep_the_rest(org: Dict[str, Any], tmp_path: Path) -> None:
    denied = org["denied_account"]
    assume_calls: List[Dict[str, str]] = []
    out = tmp_path / "org.csv"
    regions = [arg for region in REGIONS for arg in ("--region", region)]
    with ThrottleProxy(aws_endpoint(org["env"]), refuse=_refuser(denied, assume_calls)) as px:
        env = dict(org["env"], AWS_ENDPOINT_URL=px.endpoint)
        result = _run(
            env,
            tmp_path,
            "--org",
            *regions,
            "--role-name",
            ROLE,
            "--external-id",
            EXTERNAL_ID,
            "--session-name",
            SESSION,
            "--max-workers",
            "4",
            "--output",
            str(out),
        )
    assert result.returncode == 9, result.stderr
    assert "Traceback" not in result.stderr

    # The report holds every instance of every scope that could be audited, and only those.
    live = [org["management"], *org["members"]]
    good = {(a, r) for a in live for r in REGIONS if a != denied and r != DENIED_REGION}
    rows = _read_csv(out)
    expected = {(a, r, i) for (a, r) in good for i in org["instances"][(a, r)]}
    assert {(row["AccountId"], row["Region"], row["InstanceID"]) for row in rows} == expected
    keys = [(row["AccountId"], row["Region"], row["InstanceID"]) for row in rows]
    assert keys == sorted(keys)
    assert all(row["AccountId"] != org["closed"] for row in rows)

    # stderr names both failures, each with its reason.
    warnings = [line for line in result.stderr.splitlines() if "warning:" in line]
    role_lines = [line for line in warnings if f"scope {denied}/" in line]
    assert len(role_lines) == 1, result.stderr  # one line for the account, all its regions
    assert f"{denied}/{','.join(sorted(REGIONS))} failed" in role_lines[0]
    assert "cannot assume the audit role" in role_lines[0] and "AccessDenied" in role_lines[0]
    scp_lines = [line for line in warnings if f"/{DENIED_REGION} failed" in line]
    assert len(scp_lines) == len(live) - 1, result.stderr  # every account that could be entered
    assert all("denied by a service control policy" in line for line in scp_lines)
    assert len(warnings) == len(scp_lines) + 1
    summary = result.stderr.strip().splitlines()[-1]
    assert summary.startswith(f"wrote {out}: {len(expected)} instances")
    assert "FAILED" in summary and "org.scopes.csv" in summary

    # The status file has every scope: ok ones with their counts, failed ones with the reason.
    status = {(s["AccountId"], s["Region"]): s for s in _read_csv(tmp_path / "org.scopes.csv")}
    assert set(status) == {(a, r) for a in live for r in REGIONS}
    for scope, entry in status.items():
        if scope in good:
            assert entry["Status"] == "ok" and entry["ExitCode"] == "0"
            assert int(entry["Instances"]) == len(org["instances"][scope])
        else:
            assert entry["Status"] == "failed" and entry["ExitCode"] == "4", entry
            assert entry["Error"]

    # AssumeRole once per member account, with the options given (never for the management
    # account, which is audited with the caller's own credentials).
    assert sorted(c["RoleArn"] for c in assume_calls) == sorted(
        f"arn:aws:iam::{a}:role/{ROLE}" for a in org["members"]
    )
    assert {(c["ExternalId"], c["RoleSessionName"]) for c in assume_calls} == {
        (EXTERNAL_ID, SESSION)
    }

    # O(pages) per scope: 1 call of each Describe per scope (every scope fits in a page), 1
    # DescribeRegions per account entered, 1 ListAccounts page, 1 GetCallerIdentity.
    entered = len(live) - 1
    attempted = entered * len(REGIONS)
    assert px.calls["ListAccounts"] == 1
    assert px.calls["GetCallerIdentity"] == 1
    assert px.calls["DescribeRegions"] == entered
    assert px.calls["DescribeInstances"] == attempted
    assert px.calls["DescribeVolumes"] == attempted
    assert px.calls["DescribeInstanceTypes"] == len(good)


def aws_endpoint(env: Dict[str, str]) -> str:
    return env["AWS_ENDPOINT_URL"]


def test_accounts_all_refused_writes_nothing(org: Dict[str, Any], tmp_path: Path) -> None:
    out = tmp_path / "none.csv"
    members = org["members"]
    with ThrottleProxy(aws_endpoint(org["env"]), refuse=_refuse_all_roles) as proxy:
        env = dict(org["env"], AWS_ENDPOINT_URL=proxy.endpoint)
        result = _run(
            env, tmp_path, "--accounts", f"{members[0]},{members[2]}", "--region", "eu-west-1",
            "--output", str(out),
        )  # fmt: skip
    assert result.returncode == 4, result.stderr
    lines = result.stderr.strip().splitlines()
    assert lines[-1].startswith("audit.py: error: all 2 scopes failed, no report written")
    assert sum("warning:" in line for line in lines) == 2
    assert list(tmp_path.iterdir()) == []  # neither report nor status file nor temp file


def _refuse_all_roles(action: str, region: str, params: Dict[str, str]) -> Refusal:
    if action == "AssumeRole":
        return sts_assume_role_denied("arn:aws:iam::123456789012:user/a", params["RoleArn"])
    return None


def test_accounts_mode_json_status_file(org: Dict[str, Any], tmp_path: Path) -> None:
    """--accounts without failures: exit 0, the status file in the report's format."""
    member = org["members"][0]
    out = tmp_path / "one.json"
    result = _run(
        org["env"], tmp_path, "--accounts", member, "--region", "us-east-1",
        "--region", "eu-west-1", "--format", "json", "--output", str(out),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    records = json.loads(out.read_text())
    assert {r["InstanceID"] for r in records} == (
        org["instances"][(member, "us-east-1")] | org["instances"][(member, "eu-west-1")]
    )
    assert {r["AccountId"] for r in records} == {member}
    status = json.loads((tmp_path / "one.scopes.json").read_text())
    assert [(s["Region"], s["Status"]) for s in status] == [
        ("eu-west-1", "ok"),
        ("us-east-1", "ok"),
    ]
    assert "2 scope(s) of 1 account(s)" in result.stderr


def test_single_account_rows_carry_the_caller_account(org: Dict[str, Any], tmp_path: Path) -> None:
    out = tmp_path / "me.csv"
    result = _run(org["env"], tmp_path, "--region", "eu-west-1", "--output", str(out))
    assert result.returncode == 0, result.stderr
    rows = _read_csv(out)
    assert {r["AccountId"] for r in rows} == {org["management"]}
    assert {r["InstanceID"] for r in rows} == org["instances"][(org["management"], "eu-west-1")]


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--accounts", "12345"], ["--accounts", "12-digit"]),
        (["--role-name", "x"], ["--role-name needs --org or --accounts"]),
        (["--org", "--session-name", "a b"], ["--session-name"]),
        (["--org", "--accounts", "123456789012"], ["not allowed"]),
        (["--org", "--max-workers", "65"], ["--max-workers"]),
    ],
)
def test_org_usage_errors_exit_2(
    org: Dict[str, Any], tmp_path: Path, args: List[str], words: List[str]
) -> None:
    out = str(tmp_path / "x.csv")
    result = _run(org["env"], tmp_path, "--region", "us-east-1", *args, "--output", out)
    assert result.returncode == 2, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    for word in words:
        assert word in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_org_not_in_use_is_a_clear_error(org: Dict[str, Any], tmp_path: Path) -> None:
    """An account outside any organization: AWS answers ListAccounts with
    AWSOrganizationsNotInUseException (moto instead lists nothing, which no real organization
    does: its management account is always in it). Both are a usage error, exit 2."""
    outsider = _credentials("999999999999", org["management"], org["env"])
    env = dict(
        org["env"],
        AWS_ACCESS_KEY_ID=outsider["aws_access_key_id"],
        AWS_SECRET_ACCESS_KEY=outsider["aws_secret_access_key"],
        AWS_SESSION_TOKEN=outsider["aws_session_token"],
    )
    out = str(tmp_path / "x.csv")
    result = _run(env, tmp_path, "--org", "--region", "us-east-1", "--output", out)
    assert result.returncode == 2, result.stderr
    assert "ListAccounts found no active account" in result.stderr

    with ThrottleProxy(aws_endpoint(env), refuse=_not_in_use) as proxy:
        proxied = dict(env, AWS_ENDPOINT_URL=proxy.endpoint)
        result = _run(proxied, tmp_path, "--org", "--region", "us-east-1", "--output", out)
    assert result.returncode == 2, result.stderr
    assert "not a member of an organization" in result.stderr
    assert "AWSOrganizationsNotInUseException" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert list(tmp_path.iterdir()) == []


def _not_in_use(action: str, region: str, params: Dict[str, str]) -> Refusal:
    if action == "ListAccounts":
        return 400, json.dumps(
            {
                "__type": "AWSOrganizationsNotInUseException",
                "Message": "Your account is not a member of an organization.",
            }
        ).encode()
    return None
