"""The README's IAM policy is enough, and each missing action is reported as access denied.

A second moto server runs with IAM enforcement (moto's INITIAL_NO_AUTH_ACTION_COUNT: the first
N requests are free, for creating the users; every later request is authorised like AWS does).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Dict, Iterator

import boto3
import pytest

from tests.auditscript.conftest import AUDITSCRIPT, RunAudit
from tests.auditscript.fleet import launch
from tests.auditscript.test_failures import PREVIOUS, assert_clean_failure, assert_untouched
from tests.support.localaws import MotoServer

pytestmark = [pytest.mark.integration, pytest.mark.py38]

POLICY = json.loads((AUDITSCRIPT / "iam-policy.json").read_text())
BUCKET = "audit-reports"
# Exactly the requests made while setting up: bucket, instance, 3 per user (user, policy, key).
SETUP_REQUESTS = 8


def _policy_without(action: str) -> Dict[str, Any]:
    policy = json.loads(json.dumps(POLICY).replace("REPORT-BUCKET", BUCKET))
    for statement in policy["Statement"]:
        actions = statement["Action"]
        if isinstance(actions, list) and action in actions:
            statement["Action"] = [a for a in actions if a != action]
    return policy


@pytest.fixture(scope="module")
def iam_moto(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Dict[str, Any]]:
    log = tmp_path_factory.mktemp("iam-moto") / "moto.log"
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
        admin = {k.lower(): v for k, v in server.env().items() if k.startswith("AWS_ACCESS_KEY")}
        kwargs: Dict[str, Any] = {
            "endpoint_url": server.endpoint,
            "region_name": "us-east-1",
            "aws_access_key_id": admin["aws_access_key_id"],
            "aws_secret_access_key": "testing",
        }
        iam = boto3.client("iam", **kwargs)
        boto3.client("s3", **kwargs).create_bucket(Bucket=BUCKET)
        launch(boto3.client("ec2", **kwargs))
        keys: Dict[str, Dict[str, str]] = {}
        for user, policy in (
            ("auditor", _policy_without("none")),
            ("no-volumes", _policy_without("ec2:DescribeVolumes")),
        ):
            iam.create_user(UserName=user)
            iam.put_user_policy(
                UserName=user, PolicyName="ec2-audit", PolicyDocument=json.dumps(policy)
            )
            keys[user] = iam.create_access_key(UserName=user)["AccessKey"]
        yield {"server": server, "keys": keys}
    finally:
        server.stop()


def _env_for(iam_moto: Dict[str, Any], user: str, base: Dict[str, str]) -> Dict[str, str]:
    env = dict(base, **iam_moto["server"].env())
    if user == "bogus":
        env.update(AWS_ACCESS_KEY_ID="AKIAEXAMPLEBOGUS0000", AWS_SECRET_ACCESS_KEY="wrong")
    else:
        key = iam_moto["keys"][user]
        env.update(
            AWS_ACCESS_KEY_ID=key["AccessKeyId"], AWS_SECRET_ACCESS_KEY=key["SecretAccessKey"]
        )
    return env


@pytest.fixture
def base_env() -> Dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}


def test_readme_policy_is_enough_including_upload(
    iam_moto: Dict[str, Any], base_env: Dict[str, str], run_audit: RunAudit, tmp_path: Path
) -> None:
    out = tmp_path / "report.csv"
    result = run_audit(
        "--all-regions",
        "--output",
        str(out),
        "--s3-uri",
        f"s3://{BUCKET}/ec2-audit/",
        env=_env_for(iam_moto, "auditor", base_env),
    )
    assert result.returncode == 0, result.stderr
    assert len(out.read_text().splitlines()) == 2  # header + the one instance


def test_missing_action_exit_4_names_it(
    iam_moto: Dict[str, Any], base_env: Dict[str, str], run_audit: RunAudit, existing: Path
) -> None:
    env = _env_for(iam_moto, "no-volumes", base_env)
    result = run_audit("--region", "us-east-1", "--output", str(existing), env=env)
    assert_clean_failure(result, 4, "access denied", "ec2:DescribeVolumes", "README")
    assert_untouched(existing)


def test_rejected_credentials_exit_3(
    iam_moto: Dict[str, Any], base_env: Dict[str, str], run_audit: RunAudit, existing: Path
) -> None:
    env = _env_for(iam_moto, "bogus", base_env)
    result = run_audit("--region", "us-east-1", "--output", str(existing), env=env)
    assert_clean_failure(result, 3, "rejected the credentials")
    assert_untouched(existing)


@pytest.fixture
def existing(tmp_path: Path) -> Path:
    path = tmp_path / "out" / "report.csv"
    path.parent.mkdir()
    path.write_text(PREVIOUS)
    os.utime(path, (1_000_000_000, 1_000_000_000))
    return path
