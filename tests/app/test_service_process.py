"""The service as a real process: waitress, logs on disk, SIGTERM, a dead DynamoDB."""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path

import pytest
import requests

from tests.app.conftest import RunningApp, start_app, wait_http
from tests.support.localaws import free_port

pytestmark = pytest.mark.integration


def test_post_and_get_over_http(running_app: RunningApp) -> None:
    created = requests.post(
        f"{running_app.base_url}/user",
        json={"name": "Grace", "email": "grace@example.com"},
        timeout=5,
    )
    assert created.status_code == 201
    user_id = created.json()["user_id"]
    fetched = requests.get(f"{running_app.base_url}/user", params={"user_id": user_id}, timeout=5)
    assert fetched.json()["email"] == "grace@example.com"
    assert created.headers["Server"] == "userapi"  # waitress, not Werkzeug's dev server


def test_one_json_log_line_per_request_without_pii(running_app: RunningApp) -> None:
    requests.post(
        f"{running_app.base_url}/user",
        json={"name": "Secret Name", "email": "secret@example.com"},
        headers={"X-Request-ID": "req-42"},
        timeout=5,
    )
    log_file = running_app.log_dir / "app.log"
    text = log_file.read_text()
    assert "secret@example.com" not in text and "Secret Name" not in text
    entries = [json.loads(line) for line in text.splitlines()]
    entry = next(e for e in entries if e.get("request_id") == "req-42")
    assert entry["method"] == "POST" and entry["path"] == "/user" and entry["status"] == 201
    assert entry["level"] == "info" and entry["time"].endswith("Z")
    assert isinstance(entry["latency_ms"], float)
    # The transaction schema monitoring/cloudwatch's metric filters read.
    assert entry["event"] == "transaction" and entry["route"] == "/user"
    assert entry["outcome"] == "success" and entry["duration_ms"] == entry["latency_ms"]


def test_heartbeat_lines_reach_the_log(users_table: str, tmp_path: Path) -> None:
    port = free_port()
    process = start_app({**os.environ, "HEARTBEAT_SECONDS": "0.2"}, tmp_path, port)
    try:
        wait_http(f"http://127.0.0.1:{port}/healthz", process)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            lines = (tmp_path / "app.log").read_text().splitlines()
            if sum(json.loads(line).get("event") == "heartbeat" for line in lines) >= 2:
                break
            time.sleep(0.1)
        else:
            pytest.fail("fewer than 2 heartbeat lines in 10 s")
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_sigterm_stops_the_service_promptly(running_app: RunningApp) -> None:
    process = running_app.process
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=5) == 0
    assert '"message":"stopped"' in (running_app.log_dir / "app.log").read_text()


def test_dynamodb_down_is_503_not_a_stack_trace(tmp_path: Path, users_table: str) -> None:
    env = dict(os.environ)
    env["AWS_ENDPOINT_URL"] = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    port = free_port()
    process = start_app(env, tmp_path / "logs", port)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_http(f"{base}/healthz", process)
        started = time.monotonic()
        response = requests.post(
            f"{base}/user", json={"name": "A", "email": "a@example.com"}, timeout=30
        )
        assert response.status_code == 503
        assert response.json() == {
            "error": "user store temporarily unavailable, retry later",
            "status": 503,
        }
        assert "Traceback" not in response.text
        assert requests.get(f"{base}/readyz", timeout=30).status_code == 503
        assert requests.get(f"{base}/healthz", timeout=5).status_code == 200  # liveness stays up
        assert time.monotonic() - started < 30
    finally:
        process.terminate()
        process.wait(timeout=10)
