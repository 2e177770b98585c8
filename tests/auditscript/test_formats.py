"""JSON and Markdown reports, the S3 copy, and progress lines only on a terminal."""

from __future__ import annotations

import csv
import json
import os
import pty
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict

import boto3
import pytest

from tests.auditscript.conftest import AUDIT_PY, RunAudit
from tests.auditscript.fleet import launch
from tests.support.localaws import MotoServer

pytestmark = [pytest.mark.integration, pytest.mark.py38]


@pytest.fixture
def two_instances(aws_env: MotoServer) -> Dict[str, Any]:
    ec2 = boto3.client("ec2", region_name="us-east-1")
    first = launch(ec2, "m5.large", root_gib=30, data_gib=(70,), name="a|b")[0]
    second = launch(ec2, "t3.micro", root_gib=8)[0]
    return {first["InstanceId"]: first, second["InstanceId"]: second}


def _csv_rows(run_audit: RunAudit, tmp_path: Path) -> Any:
    out = tmp_path / "same.csv"
    assert run_audit("--region", "us-east-1", "--output", str(out)).returncode == 0
    with open(out, newline="") as handle:
        return list(csv.DictReader(handle))


def test_json_matches_csv_with_integers(
    two_instances: Dict[str, Any], run_audit: RunAudit, tmp_path: Path
) -> None:
    out = tmp_path / "report.json"
    result = run_audit("--region", "us-east-1", "--format", "json", "--output", str(out))
    assert result.returncode == 0, result.stderr
    records = json.loads(out.read_text())
    assert [r["InstanceID"] for r in records] == sorted(two_instances)
    assert list(records[0])[:4] == ["InstanceID", "StartTime", "Size", "TotalDiskGiB"]
    by_id = {r["InstanceID"]: r for r in records}
    big = next(i for i, v in two_instances.items() if v["InstanceType"] == "m5.large")
    assert by_id[big]["TotalDiskGiB"] == 100 and by_id[big]["Name"] == "a|b"
    as_csv = _csv_rows(run_audit, tmp_path)
    assert [{k: str(v) for k, v in r.items()} for r in records] == as_csv


def test_markdown_table_escapes_pipes(
    two_instances: Dict[str, Any], run_audit: RunAudit, tmp_path: Path
) -> None:
    out = tmp_path / "report.md"
    result = run_audit("--region", "us-east-1", "--format", "markdown", "--output", str(out))
    assert result.returncode == 0, result.stderr
    lines = out.read_text().splitlines()
    assert lines[0].startswith("| InstanceID | StartTime | Size | TotalDiskGiB |")
    assert set(lines[1]) <= set("|-:")
    assert len(lines) == 2 + len(two_instances)
    assert any("a\\|b" in line for line in lines[2:])
    # every row has as many cells as the header once escaped pipes are set aside
    cells = lines[0].count("|")
    assert all(line.replace("\\|", "").count("|") == cells for line in lines[2:])


def test_default_name_follows_format(
    two_instances: Dict[str, Any], run_audit: RunAudit, tmp_path: Path
) -> None:
    result = run_audit("--region", "us-east-1", "--format", "markdown")
    assert result.returncode == 0, result.stderr
    assert len(list(tmp_path.glob("ec2-audit-us-east-1-*Z.md"))) == 1


def test_default_name_in_current_folder(
    two_instances: Dict[str, Any], run_audit: RunAudit, tmp_path: Path
) -> None:
    result = run_audit("--region", "us-east-1", "--region", "eu-west-1")
    assert result.returncode == 0, result.stderr
    written = [
        p for p in tmp_path.glob("ec2-audit-eu-west-1_us-east-1-*.csv") if ".scopes." not in p.name
    ]
    assert len(written) == 1
    assert (tmp_path / written[0].name.replace(".csv", ".scopes.csv")).is_file()
    assert written[0].name in result.stderr
    stamp = written[0].name.rsplit("-", 1)[1][: -len(".csv")]
    assert len(stamp) == 16 and stamp[8] == "T" and stamp.endswith("Z")


def test_s3_uri_uploads_the_same_bytes(
    two_instances: Dict[str, Any], run_audit: RunAudit, tmp_path: Path
) -> None:
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket="reports")
    out = tmp_path / "fleet.csv"
    result = run_audit(
        "--region", "us-east-1", "--output", str(out), "--s3-uri", "s3://reports/ec2/daily/"
    )
    assert result.returncode == 0, result.stderr
    assert "s3://reports/ec2/daily/fleet.csv" in result.stderr
    body = s3.get_object(Bucket="reports", Key="ec2/daily/fleet.csv")["Body"].read()
    assert body == out.read_bytes()


def test_replaces_existing_report_atomically_keeping_its_mode(
    two_instances: Dict[str, Any], run_audit: RunAudit, tmp_path: Path
) -> None:
    out = tmp_path / "fleet.csv"
    out.write_text("old\n")
    out.chmod(0o640)
    result = run_audit("--region", "us-east-1", "--output", str(out))
    assert result.returncode == 0, result.stderr
    assert out.read_text().startswith("InstanceID,")
    assert out.stat().st_mode & 0o777 == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fleet.csv", "fleet.scopes.csv"]


def _run_on_tty(env: Dict[str, str], cwd: Path, *args: str) -> str:
    """Run the CLI with stderr on a pseudo-terminal and return what it printed there."""
    leader, follower = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, str(AUDIT_PY), *args],
        env=env,
        cwd=str(cwd),
        stderr=follower,
        stdout=subprocess.DEVNULL,
    )
    os.close(follower)
    chunks = []
    while True:
        try:
            data = os.read(leader, 4096)
        except OSError:  # EIO: the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    os.close(leader)
    assert proc.wait(timeout=120) == 0
    return b"".join(chunks).decode()


def test_progress_only_on_a_terminal_and_not_with_quiet(
    two_instances: Dict[str, Any], subprocess_env: Dict[str, str], tmp_path: Path
) -> None:
    args = ("--region", "us-east-1", "--region", "eu-west-1", "--output", str(tmp_path / "r.csv"))
    shown = _run_on_tty(subprocess_env, tmp_path, *args).splitlines()
    assert any("entering 1 account(s)" in line for line in shown)
    assert any("scopes 2/2 done" in line and "2 instances so far" in line for line in shown)
    assert any("us-east-1: 2 instances" in line for line in shown)
    assert any("eu-west-1: 0 instances" in line for line in shown)
    quiet = _run_on_tty(subprocess_env, tmp_path, *args, "--quiet").strip().splitlines()
    assert len(quiet) == 1 and quiet[0].startswith("wrote ")


def test_progress_flag_shows_it_off_a_terminal(
    two_instances: Dict[str, Any], run_audit: RunAudit, tmp_path: Path
) -> None:
    result = run_audit("--region", "us-east-1", "--progress", "--output", str(tmp_path / "r.csv"))
    assert result.returncode == 0, result.stderr
    lines = result.stderr.strip().splitlines()
    assert any("scopes 1/1 done" in line and "2 instances so far" in line for line in lines)
    assert lines[-1].startswith("wrote ")


def test_empty_region_gives_a_header_only_report(
    aws_env: MotoServer, run_audit: RunAudit, tmp_path: Path
) -> None:
    out = tmp_path / "empty.csv"
    result = run_audit("--region", "us-west-2", "--output", str(out))
    assert result.returncode == 0, result.stderr
    assert out.read_text().splitlines() == [
        "InstanceID,StartTime,Size,TotalDiskGiB,AccountId,Region,State,Name,AvailabilityZone,EbsGiB,"
        "InstanceStoreGB,VolumeCount,FirstLaunchTime"
    ]
    assert "0 instances in 1 region(s), 0 GiB total" in result.stderr


def test_profile_from_config_file_is_used(
    two_instances: Dict[str, Any],
    subprocess_env: Dict[str, str],
    run_audit: RunAudit,
    tmp_path: Path,
) -> None:
    config = tmp_path / "aws-config"
    config.write_text(
        "[profile auditor]\nregion = eu-west-1\n"
        "aws_access_key_id = fromprofile\naws_secret_access_key = fromprofile\n"
    )
    env = {k: v for k, v in subprocess_env.items() if "ACCESS_KEY" not in k}
    env["AWS_CONFIG_FILE"] = str(config)
    out = tmp_path / "p.csv"
    result = run_audit(
        "--profile", "auditor", "--region", "us-east-1", "--output", str(out), env=env
    )
    assert result.returncode == 0, result.stderr
    assert len(out.read_text().splitlines()) == 1 + len(two_instances)
    # Without the profile there are no credentials at all.
    assert run_audit("--region", "us-east-1", "--output", str(out), env=env).returncode == 3
