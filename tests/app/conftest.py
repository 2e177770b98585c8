"""Fixtures for the /user service: the app in-process, or as a real process over HTTP.

Store-facing fixtures run twice: against moto (lenient, the AWS stand-in of the other sections)
and against dynalite (strict: DynamoDB's own validation), so a request real DynamoDB would
refuse cannot pass unnoticed.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Dict, Iterator, Optional

import pytest
import requests

from tests.support.dynalite import Dynalite, DynaliteMissing
from tests.support.localaws import MotoServer, free_port
from tests.support.tools import missing

APP_DIR = Path(__file__).resolve().parents[2] / "docker" / "app"
sys.path.insert(0, str(APP_DIR))

from create_table import ensure_table  # noqa: E402
from userapi import UserStore, create_app  # noqa: E402

BACKENDS = ("moto", "dynalite")


@pytest.fixture(scope="session")
def dynalite_server() -> Iterator[Dynalite]:
    try:
        server = Dynalite().start()
    except DynaliteMissing as exc:
        missing(str(exc))
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(params=BACKENDS)
def store_env(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Dict[str, str]:
    """A clean DynamoDB (moto or dynalite) and the standard AWS env pointing at it."""
    if request.param == "moto":
        server: object = request.getfixturevalue("moto_server")
        assert isinstance(server, MotoServer)
    else:
        server = request.getfixturevalue("dynalite_server")
        assert isinstance(server, Dynalite)
    server.reset()
    for key in ("AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_PROFILE", "AWS_DEFAULT_PROFILE"):
        monkeypatch.delenv(key, raising=False)
    env = server.env()
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return env


@pytest.fixture
def users_table(store_env: Dict[str, str]) -> str:
    ensure_table("users")
    return "users"


@pytest.fixture
def client(users_table: str):
    """Flask test client over the real store, which talks to moto or dynalite over HTTP."""
    return create_app(UserStore(users_table)).test_client()


class RunningApp:
    def __init__(self, base_url: str, log_dir: Path, process: subprocess.Popen) -> None:
        self.base_url = base_url
        self.log_dir = log_dir
        self.process = process
        self.port = int(base_url.rsplit(":", 1)[1])


def start_app(env: dict, log_dir: Path, port: int) -> subprocess.Popen:
    env = {**env, "PORT": str(port), "HOST": "127.0.0.1", "LOG_DIR": str(log_dir)}
    return subprocess.Popen(
        [sys.executable, str(APP_DIR / "app.py")],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def wait_http(url: str, process: subprocess.Popen, timeout: float = 20) -> None:
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


def stop_app(process: subprocess.Popen, timeout: float = 30) -> Optional[int]:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    return process.returncode


def launch(env: dict, log_dir: Path) -> RunningApp:
    port = free_port()
    process = start_app(env, log_dir, port)
    base_url = f"http://127.0.0.1:{port}"
    try:
        wait_http(f"{base_url}/healthz", process)
    except RuntimeError:
        stop_app(process)
        raise
    return RunningApp(base_url, log_dir, process)


@pytest.fixture
def running_app(users_table: str, tmp_path: Path) -> Iterator[RunningApp]:
    """The service as a real process (waitress) on a free port, against moto or dynalite."""
    app = launch(dict(os.environ), tmp_path / "logs")
    try:
        yield app
    finally:
        stop_app(app.process)
