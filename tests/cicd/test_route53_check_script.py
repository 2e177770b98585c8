"""cicd/route53_check.py as Jenkins runs it: a separate Python process, exit codes, no traceback."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict, List

import pytest

from tests.cicd.route53_seed import create_zone, upsert, weighted
from tests.support.localaws import free_port

pytestmark = pytest.mark.integration
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
    env = dict(
        subprocess_env, AWS_ENDPOINT_URL=f"http://127.0.0.1:{free_port()}", AWS_MAX_ATTEMPTS="1"
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
