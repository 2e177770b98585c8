"""cicd/route53_check.py as Jenkins runs it: a separate Python process, exit codes, no traceback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict, List

import boto3
import pytest

from tests.cicd.route53_seed import ZONE, create_zone, upsert, weighted
from tests.support.localaws import refused_port
from tests.support.tools import require_tool

pytestmark = [pytest.mark.integration, pytest.mark.py38]
PYENV = Path(os.environ.get("PYENV_ROOT", "/root/.pyenv")) / "versions"
# Absolute (not resolved: that would leave the venv) even when PATH held a relative .venv/bin.
PYTHON = str(Path.cwd() / sys.executable)


def run_script(
    repo_root: Path, env: Dict[str, str], *args: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [PYTHON, str(repo_root / "cicd" / "route53_check.py"), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=str(repo_root / "tests"),  # any directory: the script finds its package itself
    )


def assert_no_traceback(result: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in result.stderr and "Traceback" not in result.stdout


@pytest.mark.parametrize(("weights", "code"), [((100, 0), 0), ((100, 100), 1)])
def test_script_exit_codes_and_json(
    r53: Any,
    zone_id: str,
    repo_root: Path,
    subprocess_env: Dict[str, str],
    weights: List[int],
    code: int,
) -> None:
    upsert(
        r53,
        zone_id,
        [weighted("www.barstoolsportsbook.com", c, w) for c, w in zip(["blue", "green"], weights)],
    )
    result = run_script(repo_root, subprocess_env, "--json")
    assert result.returncode == code, result.stderr
    doc = json.loads(result.stdout)
    assert ("active" in doc) is (code == 0)
    assert_no_traceback(result)


def test_script_zone_not_found(repo_root: Path, subprocess_env: Dict[str, str]) -> None:
    result = run_script(repo_root, subprocess_env)
    assert result.returncode == 2
    assert "could not check" in result.stderr
    assert_no_traceback(result)


def test_script_without_credentials(
    r53: Any, repo_root: Path, subprocess_env: Dict[str, str]
) -> None:
    create_zone(r53)
    env = {
        k: v
        for k, v in subprocess_env.items()
        if k not in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN")
    }
    env["AWS_EC2_METADATA_DISABLED"] = "true"  # no instance profile to fall back on
    result = run_script(repo_root, env, "--json")
    assert result.returncode == 2
    assert "no AWS credentials found" in result.stderr
    assert json.loads(result.stdout)["records"] == []
    assert_no_traceback(result)


def test_script_unreachable_endpoint(repo_root: Path, subprocess_env: Dict[str, str]) -> None:
    with refused_port() as nowhere:
        env = dict(
            subprocess_env, AWS_ENDPOINT_URL=f"http://127.0.0.1:{nowhere}", AWS_MAX_ATTEMPTS="1"
        )
        result = run_script(repo_root, env)
    assert result.returncode == 2
    assert "cannot reach the Route 53 endpoint" in result.stderr
    assert_no_traceback(result)


def test_script_bad_usage(repo_root: Path, subprocess_env: Dict[str, str]) -> None:
    result = run_script(repo_root, subprocess_env, "--weight", "7")
    assert result.returncode == 2
    assert "usage:" in result.stderr
    assert_no_traceback(result)


def test_script_help(repo_root: Path, subprocess_env: Dict[str, str]) -> None:
    result = run_script(repo_root, subprocess_env, "--help")
    assert result.returncode == 0
    for flag in ("--zone", "--record-name", "--private-zone", "--zone-id", "--json"):
        assert flag in result.stdout


def test_demo_step_flips_the_weights(aws_env: Any, repo_root: Path) -> None:
    result = subprocess.run(
        [PYTHON, "-m", "tests.cicd.demo_step"],
        cwd=repo_root,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    blue = out.index("PASS: active: blue, inactive: green")
    green = out.index("PASS: active: green, inactive: blue")
    assert blue < out.index("flipped weights") < green
    assert "section 4 demo: OK" in out


def bare_python(version: str) -> str:
    """A pyenv CPython from the machine image, without boto3 (require_tool fails in strict mode)."""
    major_minor = ".".join(version.split(".")[:2])
    candidate = PYENV / version / "bin" / f"python{major_minor}"
    return require_tool(str(candidate), f"pyenv install {version}")


@pytest.mark.parametrize("json_flag", [[], ["--json"]], ids=["table", "json"])
def test_python_without_boto3_exits_2_with_one_line(
    repo_root: Path, subprocess_env: Dict[str, str], json_flag: List[str]
) -> None:
    python = bare_python("3.8.18")
    probe = subprocess.run([python, "-c", "import boto3"], capture_output=True, check=False)
    assert probe.returncode != 0, "this interpreter has boto3; the test needs one without"
    result = subprocess.run(
        [python, str(repo_root / "cicd" / "route53_check.py"), *json_flag],
        env=subprocess_env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith("route53_check: could not check: cannot import boto3 with ")
    if json_flag:
        assert json.loads(result.stdout)["result"] == "could_not_check"
    else:
        assert result.stdout == ""


@pytest.mark.parametrize("version", ["2.7.18", "3.6.15"])
def test_too_old_python_exits_2_with_one_line(
    repo_root: Path, subprocess_env: Dict[str, str], version: str
) -> None:
    result = subprocess.run(
        [bare_python(version), str(repo_root / "cicd" / "route53_check.py"), "--json"],
        env=subprocess_env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "is too old; the checker needs 3.8" in result.stderr
    assert json.loads(result.stdout)["result"] == "could_not_check"


def test_heartbeat_puts_the_dead_man_metric_only_on_pass(
    r53: Any, zone_id: str, repo_root: Path, subprocess_env: Dict[str, str]
) -> None:
    cloudwatch = boto3.client("cloudwatch", region_name="us-east-1")

    def datapoints() -> int:
        listed = cloudwatch.list_metrics(Namespace="Route53Check", MetricName="CheckPassed")
        return len(listed["Metrics"])

    upsert(r53, zone_id, [weighted(ZONE, "blue", 50), weighted(ZONE, "green", 50)])
    assert run_script(repo_root, subprocess_env, "--heartbeat").returncode == 1
    assert datapoints() == 0

    upsert(r53, zone_id, [weighted(ZONE, "blue", 100), weighted(ZONE, "green", 0)])
    assert run_script(repo_root, subprocess_env, "--heartbeat", "--json").returncode == 0
    metrics = cloudwatch.list_metrics(Namespace="Route53Check", MetricName="CheckPassed")
    assert metrics["Metrics"][0]["Dimensions"] == [{"Name": "Zone", "Value": ZONE}]
