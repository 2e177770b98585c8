"""docker/entrypoint.py on its own: who the service runs as, and failing loudly.

The rootless case cannot be run end to end here with networking (see test_rootless.py), so the
rules are covered directly too: the same function decides for every engine, fed the real
/proc/self/uid_map lines each engine produces. Runs on 3.8 as well (the image's interpreter).
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from types import ModuleType
from typing import Any, Dict

import pytest

from tests.support.localaws import refused_port

pytestmark = pytest.mark.py38

ENTRYPOINT = Path(__file__).resolve().parents[2] / "docker" / "entrypoint.py"
CREATE_TABLE = ENTRYPOINT.parent / "app" / "create_table.py"


def load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("entrypoint", ENTRYPOINT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


entrypoint = load()

ROOTFUL = "         0          0 4294967295\n"
# rootless podman/Docker: container root is the engineer (4321), the rest sub-UIDs.
ROOTLESS = "         0       4321          1\n         1     100000      65536\n"


def test_uid_map_tells_rootful_from_rootless() -> None:
    assert entrypoint.identity_user_namespace(ROOTFUL) is True
    assert entrypoint.identity_user_namespace(ROOTLESS) is False
    assert entrypoint.identity_user_namespace("") is True  # no /proc: assume the strict case


@pytest.mark.parametrize(
    ("folder", "ref", "rootful", "expected"),
    [
        # The clone's docker/logs (committed, or made by `make up`): its owner, no chown.
        ((4321, 4321), (4321, 4321), True, ((4321, 4321), False)),
        ((501, 20), None, True, ((501, 20), False)),
        # Rootless: the folder shows as root because container root IS the engineer.
        ((0, 0), (0, 0), False, ((0, 0), False)),
        # Rootful engine made the missing folder as root: hand it to the clone's owner.
        ((0, 0), (4321, 4321), True, ((4321, 4321), True)),
        # ... and when root owns the clone too (CI), to the image's own non-root user.
        ((0, 0), (0, 0), True, ((10001, 10001), True)),
        ((0, 0), None, True, ((10001, 10001), True)),
    ],
)
def test_choose_owner(folder: Any, ref: Any, rootful: bool, expected: Any) -> None:
    assert entrypoint.choose_owner(folder, ref, rootful, (10001, 10001)) == expected


def run(tmp_path: Path, env: Dict[str, str], *command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(ENTRYPOINT), *command],
        env={"PATH": os.environ["PATH"], **env},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_unwritable_log_dir_exits_78_with_one_clear_line(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")  # LOG_DIR below a file: no user can create it
    env = {"LOG_DIR": str(blocker / "logs"), "LOG_FILE_REQUIRED": "true"}
    result = run(tmp_path, env, "echo", "served")
    assert result.returncode == 78, result.stderr
    assert "served" not in result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "cannot write the log file" in lines[0], lines
    # Not required (`docker run`, ECS): a warning, and the service still starts.
    relaxed = run(tmp_path, {"LOG_DIR": env["LOG_DIR"]}, "echo", "served")
    assert relaxed.returncode == 0 and relaxed.stdout.strip() == "served"
    assert "log file disabled" in relaxed.stderr


@pytest.mark.skipif(os.geteuid() != 0, reason="dropping privileges needs root (CI runs as root)")
def test_as_root_becomes_the_owner_of_the_log_folder(tmp_path: Path) -> None:
    # Under /tmp directly: pytest's own folders are 0700, which UID 12345 could not traverse.
    top = Path(tempfile.mkdtemp(prefix="sre-entrypoint-", dir="/tmp"))
    try:
        top.chmod(0o711)
        logs = top / "logs"
        logs.mkdir()
        os.chown(logs, 12345, 12345)
        env = {"LOG_DIR": str(logs), "LOG_FILE_REQUIRED": "true"}
        result = run(top, env, "id", "-u")
        owner = (logs / "app.log").stat().st_uid
    finally:
        shutil.rmtree(top)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "12345"
    assert owner == 12345


def test_unreachable_dynamodb_exits_69_after_the_bounded_wait(tmp_path: Path) -> None:
    with refused_port() as nowhere:
        env = {
            "LOG_DIR": "",
            "ENSURE_TABLE": "users",
            "ENSURE_TABLE_SECONDS": "2",
            "CREATE_TABLE_SCRIPT": str(CREATE_TABLE),
            "AWS_ENDPOINT_URL": f"http://127.0.0.1:{nowhere}",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_ACCESS_KEY_ID": "local",
            "AWS_SECRET_ACCESS_KEY": "local",
            "AWS_MAX_ATTEMPTS": "1",  # one quick try per round: the bound is ENSURE_TABLE_SECONDS
            "PYTHONPATH": os.pathsep.join(sys.path),
        }
        result = run(tmp_path, env, "echo", "served")
    assert result.returncode == 69, result.stderr
    assert "never answered" in result.stderr and "served" not in result.stdout
