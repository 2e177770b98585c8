"""Every failure the issue lists: exit status, a one-line message, no traceback, file untouched."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Dict, List

import pytest

from tests.auditscript.conftest import RunAudit
from tests.auditscript.throttle_proxy import ThrottleProxy
from tests.support.localaws import MotoServer, refused_port

pytestmark = [pytest.mark.integration, pytest.mark.py38]

PREVIOUS = "previous report: must survive a failed run\n"


@pytest.fixture
def existing(tmp_path: Path) -> Path:
    """An earlier report at the --output path, as a cron job would leave it."""
    path = tmp_path / "out" / "report.csv"
    path.parent.mkdir()
    path.write_text(PREVIOUS)
    os.utime(path, (1_000_000_000, 1_000_000_000))
    return path


def assert_clean_failure(result: subprocess.CompletedProcess, status: int, *words: str) -> None:
    lines = result.stderr.strip().splitlines()
    assert result.returncode == status, result.stderr
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("audit.py: error: ")
    assert "Traceback" not in result.stderr and result.stdout == ""
    for word in words:
        assert word in lines[0], lines[0]


def assert_untouched(path: Path) -> None:
    assert path.read_text() == PREVIOUS
    assert path.stat().st_mtime == 1_000_000_000
    assert sorted(p.name for p in path.parent.iterdir()) == [path.name]  # no temp file left


@pytest.mark.parametrize(
    ("args", "words"),
    [
        ([], ["--region", "--all-regions"]),
        (["--region", "us-east-1", "--all-regions"], ["not allowed"]),
        (["--region", "us-east-1", "--format", "xml"], ["--format"]),
        (["--region", "us-east-1", "--max-workers", "0"], ["--max-workers"]),
        (["--region", "us-east-1", "--s3-uri", "https://bucket/x"], ["--s3-uri"]),
    ],
)
def test_usage_errors_exit_2(
    aws_env: MotoServer, run_audit: RunAudit, existing: Path, args: List[str], words: List[str]
) -> None:
    result = run_audit(*args, "--output", str(existing))
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "Traceback" not in result.stderr
    for word in words:
        assert word in result.stderr
    assert_untouched(existing)


def test_no_credentials_exit_3(
    subprocess_env: Dict[str, str], run_audit: RunAudit, existing: Path
) -> None:
    env = {k: v for k, v in subprocess_env.items() if not k.startswith("AWS_ACCESS_KEY")}
    env.pop("AWS_SECRET_ACCESS_KEY")
    result = run_audit("--region", "us-east-1", "--output", str(existing), env=env)
    assert_clean_failure(result, 3, "no AWS credentials", "--profile")
    assert_untouched(existing)


def test_unknown_profile_exit_3(run_audit: RunAudit, existing: Path) -> None:
    result = run_audit("--region", "us-east-1", "--profile", "nope", "--output", str(existing))
    assert_clean_failure(result, 3, "'nope'", "--profile")
    assert_untouched(existing)


@pytest.mark.parametrize(
    ("region", "words"),
    [
        ("us-fake-1", ["unknown region 'us-fake-1'", "spelling"]),  # aws-shaped, not listed
        ("xx-fake-1", ["not a region name in any AWS partition", "aws-cn", "aws-us-gov"]),
        ("US_EAST_1", ["not a region name", "us-east-1"]),
        ("ap-east-1", ["not enabled", "ap-east-1"]),  # moto lists it as not-opted-in
    ],
)
def test_bad_region_exit_5(
    aws_env: MotoServer, run_audit: RunAudit, existing: Path, region: str, words: List[str]
) -> None:
    result = run_audit("--region", "us-east-1", "--region", region, "--output", str(existing))
    assert_clean_failure(result, 5, *words)
    assert_untouched(existing)


def test_endpoint_unreachable_exit_6(
    subprocess_env: Dict[str, str], run_audit: RunAudit, existing: Path
) -> None:
    with refused_port() as nowhere:
        env = dict(subprocess_env, AWS_ENDPOINT_URL=f"http://127.0.0.1:{nowhere}")
        env["AWS_MAX_ATTEMPTS"] = "1"
        result = run_audit("--region", "us-east-1", "--output", str(existing), env=env)
    assert_clean_failure(result, 6, "cannot reach", "AWS_ENDPOINT_URL")
    assert_untouched(existing)


def test_throttled_beyond_retries_exit_6(
    aws_env: MotoServer, subprocess_env: Dict[str, str], run_audit: RunAudit, existing: Path
) -> None:
    with ThrottleProxy(aws_env.endpoint, {"DescribeVolumes"}) as proxy:
        env = dict(subprocess_env, AWS_ENDPOINT_URL=proxy.endpoint, AWS_MAX_ATTEMPTS="3")
        result = run_audit("--region", "us-east-1", "--output", str(existing), env=env)
    assert_clean_failure(result, 6, "ec2:DescribeVolumes", "throttled after 3 attempts")
    assert proxy.calls["DescribeVolumes"] == 3  # AWS_MAX_ATTEMPTS bounds the retries
    assert_untouched(existing)


@pytest.mark.parametrize("case", ["missing folder", "parent is a file", "path is a folder"])
def test_unwritable_output_exit_7(
    aws_env: MotoServer, run_audit: RunAudit, tmp_path: Path, case: str
) -> None:
    blocker = tmp_path / "blocker"
    blocker.write_text("a file, not a folder\n")
    target = {
        "missing folder": tmp_path / "no" / "such" / "report.csv",
        "parent is a file": blocker / "report.csv",
        "path is a folder": tmp_path,
    }[case]
    result = run_audit("--region", "us-east-1", "--output", str(target))
    assert_clean_failure(result, 7, "cannot write the report", "--output")
    assert blocker.read_text() == "a file, not a folder\n"


def test_upload_failure_exit_8_keeps_local_report(
    aws_env: MotoServer, run_audit: RunAudit, tmp_path: Path
) -> None:
    out = tmp_path / "report.csv"
    result = run_audit(
        "--region", "us-east-1", "--output", str(out), "--s3-uri", "s3://no-such-bucket/ec2/"
    )
    assert_clean_failure(result, 8, "s3://no-such-bucket/ec2/report.csv", "NoSuchBucket")
    assert out.read_text().startswith("InstanceID,StartTime,Size,TotalDiskGiB")
