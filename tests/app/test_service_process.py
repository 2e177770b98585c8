"""The service as a real process: waitress, logs on disk, SIGTERM, a dead or sick DynamoDB."""

from __future__ import annotations

import http.client
import http.server
import json
import os
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Iterator

import pytest
import requests
from userapi.store import WORST_CASE_SECONDS

from tests.app.conftest import APP_DIR, RunningApp, launch, start_app, stop_app, wait_http
from tests.support.localaws import DUMMY_CREDENTIALS, free_port, refused_port

pytestmark = [pytest.mark.py38, pytest.mark.integration]


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
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{running_app.base_url}/healthz", timeout=2)


def test_sixteen_concurrent_creates_of_one_id_make_exactly_one_user(
    running_app: RunningApp,
) -> None:
    body = {"user_id": "contested", "name": "Racer", "email": "r@example.com"}
    barrier = threading.Barrier(16)

    def create(n: int) -> int:
        barrier.wait()
        response = requests.post(
            f"{running_app.base_url}/user", json={**body, "name": f"Racer {n}"}, timeout=30
        )
        return response.status_code

    with ThreadPoolExecutor(16) as pool:
        statuses = sorted(pool.map(create, range(16)))
    assert statuses == [201] + [409] * 15, statuses
    stored = requests.get(
        f"{running_app.base_url}/user", params={"user_id": "contested"}, timeout=5
    ).json()
    assert stored["name"].startswith("Racer ")


def test_client_ip_comes_from_x_forwarded_for_only_from_the_trusted_hop(
    users_table: str, tmp_path: Path
) -> None:
    def logged_addr(app: RunningApp, request_id: str) -> Any:
        requests.get(
            f"{app.base_url}/healthz",
            headers={"X-Forwarded-For": "203.0.113.9", "X-Request-ID": request_id},
            timeout=5,
        )
        lines = (app.log_dir / "app.log").read_text().splitlines()
        entry = next(json.loads(x) for x in lines if request_id in x)
        return entry["remote_addr"]

    trusted = launch({**os.environ, "TRUSTED_PROXY": "127.0.0.1"}, tmp_path / "a")
    try:
        assert logged_addr(trusted, "r-trusted") == "203.0.113.9"
    finally:
        stop_app(trusted.process)
    untrusted = launch({**os.environ, "TRUSTED_PROXY": "10.255.0.1"}, tmp_path / "b")
    try:
        assert logged_addr(untrusted, "r-untrusted") == "127.0.0.1"
    finally:
        stop_app(untrusted.process)


def test_idle_keep_alive_connection_is_kept_then_reused(users_table: str, tmp_path: Path) -> None:
    app = launch({**os.environ, "CHANNEL_TIMEOUT": "4"}, tmp_path / "logs")
    try:
        connection = http.client.HTTPConnection("127.0.0.1", app.port, timeout=10)
        connection.auto_open = 0  # never reconnect silently: reuse the one connection or fail
        connection.connect()
        first = connection.sock
        connection.request("GET", "/healthz")
        assert connection.getresponse().read() == b'{"status":"ok"}'
        time.sleep(2.5)  # idle, shorter than CHANNEL_TIMEOUT
        connection.request("GET", "/healthz")
        assert connection.getresponse().status == 200
        assert connection.sock is first
        connection.close()
    finally:
        stop_app(app.process)


@pytest.mark.parametrize(("name", "value"), [("THREADS", "0"), ("DRAIN_SECONDS", "soon")])
def test_bad_configuration_exits_2_with_one_line(name: str, value: str, tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, str(APP_DIR / "app.py")],
        env={**os.environ, name: value, "LOG_DIR": str(tmp_path)},
        capture_output=True, text=True, timeout=30, check=False,
    )  # fmt: skip
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and name in result.stderr


############################################################
# A sick DynamoDB: answers late, or not at all
############################################################


class SlowDynamo(http.server.ThreadingHTTPServer):
    """Answers every DynamoDB call with ``{}`` (GetItem: no such item) after ``delay`` s."""

    daemon_threads = True
    delay = 0.0
    calls = 0


class SlowHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        server = self.server
        assert isinstance(server, SlowDynamo)
        server.calls += 1
        time.sleep(server.delay)
        body = b"{}"
        try:
            self.send_response(200)
            self.send_header("Content-Type", "application/x-amz-json-1.0")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except OSError:
            pass  # the client gave up (read timeout): that is the point

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def slow_dynamo() -> Iterator[SlowDynamo]:
    server = SlowDynamo(("127.0.0.1", 0), SlowHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def sick_env(server: SlowDynamo) -> dict:
    return {
        **os.environ,
        **DUMMY_CREDENTIALS,
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ENDPOINT_URL": f"http://127.0.0.1:{server.server_address[1]}",
        "THREADS": "4",
    }


def test_a_hung_table_costs_at_most_the_worst_case_and_spares_health_checks(
    slow_dynamo: SlowDynamo, tmp_path: Path
) -> None:
    slow_dynamo.delay = 60  # never in time
    app = launch(sick_env(slow_dynamo), tmp_path / "logs")  # 4 threads, 2 store slots
    try:

        def timed_get(_: int) -> tuple:
            started = time.monotonic()
            response = requests.get(f"{app.base_url}/user?user_id=u1", timeout=60)
            return response.status_code, time.monotonic() - started, response.headers

        with ThreadPoolExecutor(6) as pool:
            pending = [pool.submit(timed_get, n) for n in range(6)]
            time.sleep(0.5)
            # Every store slot is stuck, yet liveness answers at once.
            started = time.monotonic()
            assert requests.get(f"{app.base_url}/healthz", timeout=5).status_code == 200
            assert time.monotonic() - started < 2  # at most a 0.25 s slot wait or two ahead
            results = [f.result() for f in pending]
        for status, seconds, headers in results:
            assert status == 503 and 1 <= int(headers["Retry-After"]) <= 5
            assert seconds <= WORST_CASE_SECONDS + 1.5, seconds
        # Two slots, two attempts each: the stuck calls never exceed the slots.
        slowest = max(seconds for _, seconds, _ in results)
        assert slowest >= 2 * 2 - 0.5, "the read timeout and one retry should have been waited"
        assert slow_dynamo.calls <= 2 * 2
    finally:
        stop_app(app.process, timeout=40)


def test_sigterm_lets_an_in_flight_request_finish(slow_dynamo: SlowDynamo, tmp_path: Path) -> None:
    slow_dynamo.delay = 1.5  # slower than the SIGTERM, faster than the read timeout
    app = launch(sick_env(slow_dynamo), tmp_path / "logs")
    with ThreadPoolExecutor(1) as pool:
        in_flight = pool.submit(requests.get, f"{app.base_url}/user?user_id=u1", timeout=30)
        deadline = time.monotonic() + 10
        while slow_dynamo.calls == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        app.process.send_signal(signal.SIGTERM)
        assert in_flight.result().status_code == 404  # the store's answer, not a dropped socket
    assert app.process.wait(timeout=30) == 0
    log = (app.log_dir / "app.log").read_text()
    assert '"requests_cut":0' in log


def test_dynamodb_down_is_503_not_a_stack_trace(tmp_path: Path, users_table: str) -> None:
    with refused_port() as nowhere:  # held for the whole test: the service cannot get it
        env = dict(os.environ, AWS_ENDPOINT_URL=f"http://127.0.0.1:{nowhere}")
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
            assert requests.get(f"{base}/healthz", timeout=5).status_code == 200  # liveness
            assert time.monotonic() - started < 3 * WORST_CASE_SECONDS
        finally:
            process.terminate()
            process.wait(timeout=10)
