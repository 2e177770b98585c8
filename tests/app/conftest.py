"""Fixtures for the /user service: the app in-process, or as a real process over HTTP."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Iterator

import pytest
import requests

from tests.support.localaws import MotoServer, free_port

APP_DIR = Path(__file__).resolve().parents[2] / "docker" / "app"
sys.path.insert(0, str(APP_DIR))

from create_table import ensure_table  # noqa: E402
from userapi import UserStore, create_app  # noqa: E402


@pytest.fixture
def users_table(aws_env: MotoServer) -> str:
    ensure_table("users")
    return "users"


@pytest.fixture
def client(users_table: str):
    """Flask test client over the real store, which talks to moto over HTTP."""
    return create_app(UserStore(users_table)).test_client()


class RunningApp:
    def __init__(self, base_url: str, log_dir: Path, process: subprocess.Popen[bytes]) -> None:
        self.base_url = base_url
        self.log_dir = log_dir
        self.process = process


def start_app(env: dict, log_dir: Path, port: int) -> subprocess.Popen[bytes]:
    env = {**env, "PORT": str(port), "HOST": "127.0.0.1", "LOG_DIR": str(log_dir)}
    return subprocess.Popen(
        [sys.executable, str(APP_DIR / "app.py")],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def wait_http(url: str, process: subprocess.Popen[bytes], timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"app exited: {process.stderr.read().decode() if process.stderr else ''}"
            )
        try:
            requests.get(url, timeout=1)
            return
        except requests.ConnectionError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer in {timeout}s")


@pytest.fixture
def running_app(users_table: str, tmp_path: Path) -> Iterator[RunningApp]:
    """The service as a real process (waitress) on a free port, against moto."""
    port = free_port()
    log_dir = tmp_path / "logs"
    process = start_app(dict(os.environ), log_dir, port)
    base_url = f"http://127.0.0.1:{port}"
    try:
        wait_http(f"{base_url}/healthz", process)
        yield RunningApp(base_url, log_dir, process)
    finally:
        if process.poll() is None:
            process.terminate()
            process.wait(timeout=10)
