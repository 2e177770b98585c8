"""How the audit runs: retry mode, SSO sessions, SIGTERM, partition-aware region names, and the
StartTime/FirstLaunchTime meaning across a stop/start.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Dict, List

import boto3
import pytest
from botocore.parsers import DEFAULT_TIMESTAMP_PARSER
from ec2audit import aws, regions
from ec2audit.accounts import SessionFactory
from ec2audit.collect import scan_region
from ec2audit.errors import RegionError

from tests.auditscript.conftest import AUDIT_PY, RunAudit
from tests.auditscript.fleet import iso_z, launch
from tests.auditscript.test_collect import FakeEC2
from tests.auditscript.test_failures import PREVIOUS, assert_clean_failure, assert_untouched
from tests.auditscript.throttle_proxy import ThrottleProxy
from tests.support.localaws import MotoServer

pytestmark = pytest.mark.py38

T_FIRST = dt.datetime(2024, 1, 10, 8, 0, tzinfo=dt.timezone.utc)
T_RESTART = dt.datetime(2024, 5, 1, 9, 30, tzinfo=dt.timezone.utc)


# --- retries: botocore's default retry_mode is "legacy"; ours must really be "standard" -------


def _session(**kwargs: Any) -> boto3.session.Session:
    return boto3.session.Session(
        aws_access_key_id="a", aws_secret_access_key="b", region_name="us-east-1", **kwargs
    )


def test_standard_retry_mode_is_applied_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AWS_RETRY_MODE", "AWS_MAX_ATTEMPTS", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", os.devnull)
    session = _session()
    assert session._session.get_config_variable("retry_mode") == "legacy"  # botocore's default
    client = aws.make_client(session, "ec2", "us-east-1")
    assert client.meta.config.retries == {"mode": "standard", "total_max_attempts": 6}


def test_retry_settings_from_env_or_profile_win(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("AWS_MAX_ATTEMPTS", raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("AWS_RETRY_MODE", "adaptive")
    client = aws.make_client(_session(), "ec2", "us-east-1")
    # Our Config leaves the mode to the environment, and still bounds the attempts.
    assert client.meta.config.retries == {"mode": "adaptive", "total_max_attempts": 6}

    monkeypatch.delenv("AWS_RETRY_MODE")
    config = tmp_path / "config"
    config.write_text("[profile tuned]\nretry_mode = adaptive\nmax_attempts = 3\n")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    tuned = boto3.session.Session(profile_name="tuned", region_name="us-east-1")
    retries = aws.make_client(tuned, "ec2", "us-east-1").meta.config.retries
    assert retries == {"mode": "adaptive", "total_max_attempts": 3}


@pytest.mark.integration
def test_assumed_role_clients_get_the_same_config(aws_env: MotoServer) -> None:
    session = boto3.session.Session()
    factory = SessionFactory(session, "123456789012", "us-east-1", "aws")
    client = factory.client("210987654321", "ec2", "eu-west-1")
    assert client.meta.config.retries == {"mode": "standard", "total_max_attempts": 6}
    assert client.meta.config.connect_timeout == aws.CONNECT_TIMEOUT
    # moto maps the assumed role's keys to the account in the role ARN, as AWS does.
    identity = factory.client("210987654321", "sts", "us-east-1").get_caller_identity()
    assert identity["Account"] == "210987654321"
    assert factory.client("210987654321", "ec2", "eu-west-1") is client  # made once


# --- SSO: an expired session is a credentials error (exit 3), not a bug (exit 1) -------------


def _sso_home(tmp_path: Path, expires: str) -> Dict[str, str]:
    home = tmp_path / "home"
    cache = home / ".aws" / "sso" / "cache"
    cache.mkdir(parents=True)
    config = home / ".aws" / "config"
    config.write_text(
        "[profile dev]\nsso_session = corp\nsso_account_id = 111122223333\n"
        "sso_role_name = Auditor\nregion = us-east-1\n\n"
        "[sso-session corp]\nsso_start_url = https://corp.awsapps.com/start\n"
        "sso_region = us-east-1\n\n"
        "[profile legacy]\nsso_start_url = https://legacy.awsapps.com/start\n"
        "sso_region = us-east-1\nsso_account_id = 111122223333\nsso_role_name = Auditor\n"
    )
    # What `aws sso login` leaves behind, keyed by the sha1 of the session name; no refresh
    # token, as after the session's maximum duration.
    token = {
        "startUrl": "https://corp.awsapps.com/start",
        "region": "us-east-1",
        "accessToken": "expired-token",
        "expiresAt": expires,
    }
    key = hashlib.sha1(b"corp").hexdigest()  # noqa: S324 - botocore's cache file name, not security
    (cache / f"{key}.json").write_text(json.dumps(token))
    return {"HOME": str(home), "AWS_CONFIG_FILE": str(config)}


@pytest.mark.integration
@pytest.mark.parametrize(
    ("profile", "words"),
    [
        ("dev", ["SSO session is missing or expired", "Token has expired", "aws sso login"]),
        ("legacy", ["SSO session is missing or expired", "does not exist", "aws sso login"]),
    ],
)
def test_expired_or_missing_sso_session_exit_3(
    subprocess_env: Dict[str, str],
    run_audit: RunAudit,
    tmp_path: Path,
    profile: str,
    words: List[str],
) -> None:
    env = {k: v for k, v in subprocess_env.items() if not k.startswith("AWS_ACCESS_KEY")}
    env.pop("AWS_SECRET_ACCESS_KEY")
    env.update(_sso_home(tmp_path, "2020-01-01T00:00:00Z"))
    out = tmp_path / "report.csv"
    result = run_audit("--profile", profile, "--region", "us-east-1", "--output", str(out), env=env)
    assert_clean_failure(result, 3, *words)
    assert not out.exists()


# --- SIGTERM: a clean end, no partial report, an earlier report untouched ---------------------


@pytest.mark.integration
def test_sigterm_mid_scan_ends_cleanly(
    aws_env: MotoServer, subprocess_env: Dict[str, str], tmp_path: Path
) -> None:
    launch(boto3.client("ec2", region_name="us-east-1"), count=3)
    out = tmp_path / "out" / "report.csv"
    out.parent.mkdir()
    out.write_text(PREVIOUS)
    os.utime(out, (1_000_000_000, 1_000_000_000))
    with ThrottleProxy(aws_env.endpoint, hold_actions={"DescribeInstances"}) as proxy:
        env = dict(subprocess_env, AWS_ENDPOINT_URL=proxy.endpoint)
        process = subprocess.Popen(
            [sys.executable, str(AUDIT_PY), "--region", "us-east-1", "--output", str(out)],
            env=env,
            cwd=str(tmp_path),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            assert proxy.held.wait(60), "the audit never reached DescribeInstances"
            time.sleep(0.2)  # DescribeVolumes runs beside it; let both be in flight
            started = time.monotonic()
            process.send_signal(signal.SIGTERM)
            stdout, stderr = process.communicate(timeout=20)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
    assert process.returncode == 143, stderr
    assert time.monotonic() - started < 10  # no wait for the 60 s read timeout
    assert stderr.strip().splitlines()[-1] == ("audit.py: terminated by SIGTERM; no report written")
    assert "Traceback" not in stderr and stdout == ""
    assert_untouched(out)  # and no temp file, no status file beside it


# --- regions: botocore's partition data, every partition ---------------------------------------


@pytest.mark.parametrize(
    ("name", "partition"),
    [
        ("us-east-1", "aws"),
        ("il-central-1", "aws"),
        ("ap-southeast-9", "aws"),  # not yet in this botocore: the partition's pattern accepts it
        ("cn-north-1", "aws-cn"),
        ("us-gov-west-1", "aws-us-gov"),
        ("us-iso-east-1", "aws-iso"),
        ("us-isob-east-1", "aws-iso-b"),
        ("eu-isoe-west-1", "aws-iso-e"),
        ("us-isof-south-1", "aws-iso-f"),
        ("eusc-de-east-1", "aws-eusc"),  # four-letter prefix: the old fixed pattern refused it
        ("xx-fake-1", None),
        ("aws-global", None),  # an endpoint alias, not a region
        ("US-EAST-1", None),
        ("us-east", None),
    ],
)
def test_partition_of_region_names(name: str, partition: Any) -> None:
    assert regions.partition_of(name) == partition


def test_check_names_lists_partitions() -> None:
    regions.check_names(["cn-northwest-1", "us-gov-east-1", "eusc-de-east-1"])
    with pytest.raises(RegionError, match="not a region name in any AWS partition"):
        regions.check_names(["us-east-1", "moon-base-1"])


def test_all_regions_stay_in_the_home_partition() -> None:
    listed = {
        "us-east-1": "opt-in-not-required",
        "ap-east-1": "not-opted-in",
        "me-south-1": "opted-in",
        "cn-north-1": "opt-in-not-required",  # another partition: other credentials
        "ap-southeast-9": "opt-in-not-required",  # newer than botocore, same partition
    }
    chosen, refused = regions.choose_regions(listed, [], True, "us-east-1")
    assert (chosen, refused) == (["ap-southeast-9", "me-south-1", "us-east-1"], {})
    assert regions.choose_regions(listed, [], True, "cn-north-1")[0] == ["cn-north-1"]
    chosen, refused = regions.choose_regions(listed, ["ap-east-1", "us-east-1"], False, "x")
    assert chosen == ["us-east-1"] and "not enabled" in refused["ap-east-1"]


# --- StartTime is the last start, FirstLaunchTime the first launch -----------------------------


def test_stop_start_moves_start_time_not_first_launch() -> None:
    """AWS after a stop/start, as documented for Instance.LaunchTime ("the time that the
    instance was last launched; to determine the time that instance was first launched, see
    the attachment time for the primary network interface"): LaunchTime is the restart,
    the primary ENI (DeviceIndex 0) keeps its first attach time; a secondary ENI attached
    later must not be taken for it. moto cannot show this (it keeps LaunchTime on start)."""
    restarted = {
        "InstanceId": "i-restarted",
        "InstanceType": "t3.micro",
        "LaunchTime": T_RESTART,
        "State": {"Name": "running"},
        "Placement": {"AvailabilityZone": "us-east-1a"},
        "NetworkInterfaces": [
            {"Attachment": {"DeviceIndex": 1, "AttachTime": T_RESTART}},
            {"Attachment": {"DeviceIndex": 0, "AttachTime": T_FIRST}},
        ],
    }
    row = scan_region(FakeEC2([[restarted]], [[]], {}), "us-east-1", "111122223333")[0]
    assert row.start_time == "2024-05-01T09:30:00Z"
    assert row.first_launch_time == "2024-01-10T08:00:00Z"
    assert row.account_id == "111122223333"


@pytest.mark.integration
def test_stop_start_on_moto_reports_what_the_api_says(
    aws_env: MotoServer, run_audit: RunAudit, tmp_path: Path
) -> None:
    ec2 = boto3.client("ec2", region_name="us-east-1")
    instance_id = launch(ec2)[0]["InstanceId"]
    ec2.stop_instances(InstanceIds=[instance_id])
    ec2.start_instances(InstanceIds=[instance_id])
    described = ec2.describe_instances(InstanceIds=[instance_id])["Reservations"][0]["Instances"][0]
    primary = next(n for n in described["NetworkInterfaces"] if n["Attachment"]["DeviceIndex"] == 0)
    out = tmp_path / "r.csv"
    result = run_audit("--region", "us-east-1", "--output", str(out))
    assert result.returncode == 0, result.stderr
    header, line = out.read_text().splitlines()
    row = dict(zip(header.split(","), line.split(",")))
    assert row["State"] == "running"
    assert row["StartTime"] == iso_z(described["LaunchTime"])
    assert row["FirstLaunchTime"] == iso_z(primary["Attachment"]["AttachTime"])
    assert row["FirstLaunchTime"] <= row["StartTime"]


# --- timestamps: the fast path gives what botocore's own parser gives -------------------------


@pytest.mark.parametrize(
    "value",
    [
        "2024-05-01T09:30:00.000Z",  # the form EC2 sends
        "2024-05-01T09:30:00.123Z",
        "2024-05-01T09:30:00Z",  # anything else: botocore's parser
        "2024-05-01T11:30:00.000+02:00",
        "1714555800",
    ],
)
def test_fast_timestamp_parser_agrees_with_botocore(value: str) -> None:
    ours = aws.parse_timestamp(value)
    assert ours == DEFAULT_TIMESTAMP_PARSER(value)
    assert ours.utcoffset() is not None  # always aware


def test_sessions_get_the_fast_parser() -> None:
    session = aws.make_session()
    factory = session._session.get_component("response_parser_factory")
    parser = factory.create_parser("ec2")
    assert parser._timestamp_parser is aws.parse_timestamp
