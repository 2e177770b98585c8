"""Fixtures shared by every section's tests."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Iterator, Optional

import pytest

from tests.support.localaws import MotoServer

REPO_ROOT = Path(__file__).resolve().parent.parent

# The second pass of `make test` runs, on CPython 3.8, only the test modules of code that ships to
# 3.8 (marked `py38`). Other modules and folders are not even imported there: they may need tools
# or packages (terraform, podman, schemathesis) that the 3.8 virtualenv deliberately lacks.
PY38_ONLY = os.environ.get("SRE_PY38_ONLY", "") not in ("", "0")
PY38_MARK = "pytest.mark.py38"


def _has_py38_tests(path: Path) -> bool:
    files = [path] if path.is_file() else path.rglob("test_*.py")
    return any(PY38_MARK in f.read_text(errors="replace") for f in files)


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> Optional[bool]:
    if not PY38_ONLY:
        return None
    if collection_path.is_dir():
        return None if _has_py38_tests(collection_path) else True
    if collection_path.name.startswith("test_") and collection_path.suffix == ".py":
        return None if _has_py38_tests(collection_path) else True
    return None


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO_ROOT


@pytest.fixture(scope="session")
def moto_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MotoServer]:
    """One moto server for the whole session (starting one costs ~1 s)."""
    log = tmp_path_factory.mktemp("moto") / "moto_server.log"
    with MotoServer(log_path=log) as server:
        yield server


@pytest.fixture
def aws_env(moto_server: MotoServer, monkeypatch: pytest.MonkeyPatch) -> MotoServer:
    """A clean moto (reset before the test) and the standard AWS env pointing at it.

    Both boto3 in this process and subprocesses started with ``os.environ`` see it.
    """
    moto_server.reset()
    for key in ("AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_PROFILE", "AWS_DEFAULT_PROFILE"):
        monkeypatch.delenv(key, raising=False)
    for key, value in moto_server.env().items():
        monkeypatch.setenv(key, value)
    return moto_server


@pytest.fixture
def subprocess_env(aws_env: MotoServer) -> dict[str, str]:
    """``os.environ`` (already pointed at moto) as a dict for subprocess calls."""
    return dict(os.environ)
