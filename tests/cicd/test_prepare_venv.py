"""cicd/scripts/*.sh as the agent runs them: the cached venv and the node's IP."""

from __future__ import annotations

import ipaddress
import os
import subprocess
from pathlib import Path

import pytest

from tests.support.tools import require_tool

pytestmark = pytest.mark.slow


def prepare(repo_root: Path, cache: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", "cicd/scripts/prepare-venv.sh", "cicd/requirements.txt"],
        cwd=repo_root,
        env=dict(os.environ, ROUTE53_CHECK_CACHE=str(cache), PYTHON="python3"),
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def test_prepare_venv_builds_once_then_reuses(repo_root: Path, tmp_path: Path) -> None:
    require_tool("python3")
    first = prepare(repo_root, tmp_path)
    assert first.returncode == 0, first.stderr
    python = Path(first.stdout.strip())
    assert python.is_file() and python.parent.parent.parent == tmp_path
    assert "building" in first.stderr

    second = prepare(repo_root, tmp_path)
    assert second.returncode == 0, second.stderr
    assert second.stdout.strip() == str(python)
    assert "reusing" in second.stderr

    # The pinned venv runs the checker (its --help needs boto3 importable).
    version = subprocess.run(
        [str(python), "-c", "import boto3; print(boto3.__version__)"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert version.stdout.strip() == "1.37.38"
    helped = subprocess.run(
        [str(python), str(repo_root / "cicd" / "route53_check.py"), "--help"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert helped.returncode == 0 and "--record-name" in helped.stdout


def test_prepare_venv_without_arguments_is_a_usage_error(repo_root: Path) -> None:
    result = subprocess.run(
        ["bash", "cicd/scripts/prepare-venv.sh"],
        cwd=repo_root,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert "usage" in result.stderr


def test_node_ip_prints_an_ip_address(repo_root: Path) -> None:
    result = subprocess.run(
        ["bash", "cicd/scripts/node-ip.sh"],
        capture_output=True,
        text=True,
        check=True,
        cwd=repo_root,
    )
    ipaddress.ip_address(result.stdout.strip())
