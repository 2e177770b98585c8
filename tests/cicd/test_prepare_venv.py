"""cicd/scripts/prepare-venv.sh on the agent: cached venv, wheel cache, lock, atomic rename."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Dict, List

import pytest

from tests.support.tools import require_tool

# Not in the py38 pass: the script is bash, and building venvs twice costs minutes of CI.
pytestmark = [pytest.mark.slow]

SCRIPT = "cicd/scripts/prepare-venv.sh"


def env_for(cache: Path, **extra: str) -> Dict[str, str]:
    # The interpreter running the tests builds the venv (3.11, or 3.8.18 in the py38 pass).
    return dict(os.environ, ROUTE53_CHECK_CACHE=str(cache), PYTHON=sys.executable, **extra)


def prepare(repo_root: Path, env: Dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", SCRIPT, "cicd/requirements.txt"],
        cwd=repo_root,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def start(repo_root: Path, env: Dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        ["bash", SCRIPT, "cicd/requirements.txt"],
        cwd=repo_root,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.fixture(scope="module")
def built(repo_root: Path, tmp_path_factory: pytest.TempPathFactory) -> Dict[str, object]:
    """Two concurrent first runs on an empty cache (two executors on a new agent)."""
    require_tool("flock", "apt-get install util-linux")
    cache = tmp_path_factory.mktemp("venv-cache")
    procs: List[subprocess.Popen[str]] = [start(repo_root, env_for(cache)) for _ in range(2)]
    outputs = [p.communicate(timeout=600) for p in procs]
    return {
        "cache": cache,
        "codes": [p.returncode for p in procs],
        "stdout": [o[0] for o in outputs],
        "stderr": [o[1] for o in outputs],
    }


def test_two_concurrent_runs_build_one_venv(built: Dict[str, object]) -> None:
    assert built["codes"] == [0, 0], built["stderr"]
    stdout = built["stdout"]
    stderr = built["stderr"]
    assert isinstance(stdout, list) and isinstance(stderr, list)
    assert stdout[0] == stdout[1]  # same venv path, printed alone on stdout
    # One built it under the lock; the other waited and then reused it.
    assert sorted("building" in e for e in stderr) == [False, True]
    assert sum("reusing" in e for e in stderr) == 1
    cache = built["cache"]
    assert isinstance(cache, Path)
    venvs = sorted(p.name for p in cache.iterdir() if p.name.startswith("venv-"))
    assert len(venvs) == 1
    # No temporary build folder is left behind.
    assert not [p for p in cache.iterdir() if p.name.startswith(".venv-")]


def test_the_venv_runs_the_checker(built: Dict[str, object], repo_root: Path) -> None:
    stdout = built["stdout"]
    assert isinstance(stdout, list)
    python = stdout[0].strip()
    version = subprocess.run(
        [python, "-c", "import boto3; print(boto3.__version__)"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert version.stdout.strip() == "1.37.38"
    helped = subprocess.run(
        [python, str(repo_root / "cicd" / "route53_check.py"), "--help"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert helped.returncode == 0 and "--heartbeat" in helped.stdout


def test_a_new_agent_installs_from_the_wheel_cache_offline(
    built: Dict[str, object], repo_root: Path, tmp_path: Path
) -> None:
    """An ephemeral agent with the shared wheel folder and no index builds without PyPI."""
    cache = built["cache"]
    assert isinstance(cache, Path)
    wheels = cache / "wheels"
    assert list(wheels.glob("boto3-1.37.38-*.whl"))
    offline = env_for(
        tmp_path / "fresh-agent",
        ROUTE53_CHECK_WHEELS=str(wheels),
        PIP_INDEX_URL="http://127.0.0.1:9/simple",  # nothing listens there: PyPI is unreachable
    )
    result = prepare(repo_root, offline)
    assert result.returncode == 0, result.stderr
    assert "building" in result.stderr and "incomplete" not in result.stderr


def test_a_killed_build_leaves_no_venv_in_use(repo_root: Path, tmp_path: Path) -> None:
    """A build that dies mid-install (here: pip cannot reach any index) leaves nothing behind."""
    env = env_for(
        tmp_path,
        PIP_INDEX_URL="http://127.0.0.1:9/simple",
        PIP_RETRIES="0",
        PIP_TIMEOUT="2",
    )
    result = prepare(repo_root, env)
    assert result.returncode != 0
    assert result.stdout == ""
    assert not [p for p in tmp_path.iterdir() if p.name.startswith((".venv-", "venv-"))]


@pytest.mark.parametrize("argv", [[], ["does-not-exist.txt"]])
def test_bad_usage_exits_2(repo_root: Path, argv: List[str]) -> None:
    result = subprocess.run(
        ["bash", SCRIPT, *argv],
        cwd=repo_root,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr.startswith("usage: prepare-venv.sh")
