"""docker/tls-sidecar: nginx terminating TLS in front of the app, as the ECS task runs it.

Most tests run the image's own entrypoint (docker/tls-sidecar/entrypoint.sh) with Debian's nginx on
the host, in front of the real app (waitress) on moto, so each behaviour is checked end to end:
client -> TLS (nginx) -> app -> store. One test builds the image from Debian packages on the local
base image and runs it locked down as in ECS (read-only root, tmpfs /tmp, UID 10001, no
capabilities).
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import re
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Tuple

import pytest

from tests.docker import engine
from tests.support.localaws import DUMMY_CREDENTIALS, MotoServer, free_port
from tests.support.tools import require_tool

REPO = Path(__file__).resolve().parents[2]
SIDECAR_DIR = REPO / "docker" / "tls-sidecar"
ENTRYPOINT = SIDECAR_DIR / "entrypoint.sh"
APP_DIR = REPO / "docker" / "app"


############################################################
# The app (real waitress process) and the sidecar (real nginx)
############################################################


@dataclass
class Proc:
    process: subprocess.Popen
    port: int
    out: Path
    err: Path

    def lines(self, which: str = "out") -> List[Dict[str, Any]]:
        text = (self.out if which == "out" else self.err).read_text(errors="replace")
        return [json.loads(x) for x in text.splitlines() if x.startswith("{")]


def wait_port(port: int, process: subprocess.Popen, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"process exited with {process.returncode}")
        with contextlib.suppress(OSError):
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        time.sleep(0.1)
    raise AssertionError(f"nothing listened on {port} within {timeout}s")


def stop(process: subprocess.Popen, timeout: float = 30) -> Optional[int]:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    return process.returncode


@pytest.fixture
def table(aws_env: MotoServer) -> str:
    sys.path.insert(0, str(APP_DIR))
    from create_table import ensure_table

    ensure_table("users")
    return "users"


@pytest.fixture
def start_app(tmp_path: Path) -> Iterator[Any]:
    started: List[Proc] = []

    def start(**env: str) -> Proc:
        port = free_port()
        log_dir = tmp_path / f"app-{port}"
        full = {**os.environ, "PORT": str(port), "HOST": "127.0.0.1", "LOG_DIR": str(log_dir)}
        full.update(env)
        err = tmp_path / f"app-{port}.err"
        with open(err, "wb") as err_file:
            process = subprocess.Popen(
                [sys.executable, str(APP_DIR / "app.py")],
                env=full,
                stdout=subprocess.DEVNULL,
                stderr=err_file,
            )
        proc = Proc(process, port, log_dir / "app.log", err)
        started.append(proc)
        wait_port(port, process)
        return proc

    yield start
    for proc in started:
        stop(proc.process)


@pytest.fixture
def start_sidecar(tmp_path: Path) -> Iterator[Any]:
    require_tool("nginx", "apt-get install nginx; see tests/support/system-deps.sh")
    require_tool("openssl", "apt-get install openssl")
    started: List[Proc] = []

    def start(upstream: int, **env: str) -> Proc:
        port = free_port()
        full = dict(os.environ)
        full.update(
            LISTEN_HOST="127.0.0.1",
            LISTEN_PORT=str(port),
            UPSTREAM=f"127.0.0.1:{upstream}",
            TLS_DIR=str(tmp_path / f"tls-{port}"),
            RUN_DIR=str(tmp_path / f"run-{port}"),
            TRUSTED_PROXIES="127.0.0.1/32",
            DRAIN_SECONDS="10",
        )
        full.update(env)
        out, err = tmp_path / f"sidecar-{port}.out", tmp_path / f"sidecar-{port}.err"
        with open(out, "wb") as out_file, open(err, "wb") as err_file:
            process = subprocess.Popen(
                ["sh", str(ENTRYPOINT)], env=full, stdout=out_file, stderr=err_file
            )
        proc = Proc(process, port, out, err)
        started.append(proc)
        try:
            wait_port(port, process)
        except AssertionError:
            raise AssertionError(err.read_text()) from None
        return proc

    yield start
    for proc in started:
        stop(proc.process)


def client_context(**versions: Any) -> ssl.SSLContext:
    """Trusts anything: the sidecar's certificate is self-signed (the ALB does not check it)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    # OpenSSL 3 offers TLS 1.0/1.1 only at security level 0: lower it so that a refusal we see
    # is the server's, not our own client declining to offer the old version.
    context.set_ciphers("ALL:@SECLEVEL=0")
    for attribute, value in versions.items():
        if attribute == "ciphers":
            context.set_ciphers(value)
        else:
            setattr(context, attribute, value)
    return context


def https(
    port: int,
    method: str = "GET",
    path: str = "/healthz",
    body: Optional[bytes] = None,
    headers: Optional[Dict[str, str]] = None,
    **versions: Any,
) -> Tuple[int, bytes, str]:
    """(status, body, negotiated TLS version) of one request through the sidecar."""
    connection = http.client.HTTPSConnection(
        "127.0.0.1", port, timeout=30, context=client_context(**versions)
    )
    try:
        connection.request(method, path, body=body, headers=headers or {})
        assert isinstance(connection.sock, ssl.SSLSocket)
        version = str(connection.sock.version())
        response = connection.getresponse()
        return response.status, response.read(), version
    finally:
        connection.close()


def x509_text(cert_pem: str) -> str:
    result = subprocess.run(
        ["openssl", "x509", "-noout", "-subject", "-text"],
        input=cert_pem, capture_output=True, text=True, check=True,
    )  # fmt: skip
    return result.stdout


def peer_certificate(port: int) -> str:
    raw = socket.create_connection(("127.0.0.1", port), timeout=10)
    with client_context().wrap_socket(raw) as sock:
        der = sock.getpeercert(binary_form=True)
    assert der is not None
    return ssl.DER_cert_to_PEM_cert(der)


def wait_for(predicate: Any, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.05)


############################################################
# TLS contract
############################################################


def test_key_pair_is_fresh_p256_private_and_tls_is_12_or_13_aead_only(
    table: str, start_app: Any, start_sidecar: Any, tmp_path: Path
) -> None:
    app = start_app()
    sidecar = start_sidecar(app.port, TLS_CN="sidecar.test")
    tls_dir = tmp_path / f"tls-{sidecar.port}"
    assert (tls_dir / "key.pem").stat().st_mode & 0o777 == 0o600
    assert tls_dir.stat().st_mode & 0o777 == 0o700
    text = x509_text(peer_certificate(sidecar.port))
    assert re.search(r"subject=\s*CN\s*=\s*sidecar\.test", text)
    assert "prime256v1" in text or "P-256" in text
    assert "DNS:sidecar.test" in text

    assert https(sidecar.port)[0::2] == (200, "TLSv1.3")
    assert https(sidecar.port, maximum_version=ssl.TLSVersion.TLSv1_2)[0::2] == (200, "TLSv1.2")
    refused: List[Dict[str, Any]] = [
        {"minimum_version": ssl.TLSVersion.TLSv1, "maximum_version": ssl.TLSVersion.TLSv1_1},
        # TLS 1.2 without forward secrecy or without AEAD: no shared cipher.
        {"maximum_version": ssl.TLSVersion.TLSv1_2, "ciphers": "AES128-GCM-SHA256"},
        {"maximum_version": ssl.TLSVersion.TLSv1_2, "ciphers": "ECDHE-ECDSA-AES128-SHA256"},
    ]
    for versions in refused:
        with pytest.raises(ssl.SSLError):
            https(sidecar.port, **versions)
    # Handshake failures are visible: nginx logs them (error_log at info).
    wait_for(lambda: "SSL_do_handshake() failed" in sidecar.err.read_text())

    first = peer_certificate(sidecar.port)
    assert stop(sidecar.process) == 0
    again = start_sidecar(app.port, TLS_DIR=str(tls_dir), TLS_CN="sidecar.test")
    assert peer_certificate(again.port) != first, "each start must make a new key pair"


def test_post_and_get_through_tls_and_one_json_access_line_each(
    table: str, start_app: Any, start_sidecar: Any
) -> None:
    app = start_app()
    sidecar = start_sidecar(app.port)
    body = json.dumps({"user_id": "tls-1", "name": "Ada", "email": "ada@example.com"}).encode()
    status, answer, _ = https(
        sidecar.port, "POST", "/user", body, {"Content-Type": "application/json"}
    )
    assert status == 201, answer
    status, answer, _ = https(sidecar.port, "GET", "/user?user_id=tls-1")
    assert (status, json.loads(answer)["email"]) == (200, "ada@example.com")
    wait_for(lambda: len([e for e in sidecar.lines() if e["path"] == "/user"]) == 2)
    entries = [e for e in sidecar.lines() if e["path"] == "/user"]
    assert [(e["method"], e["status"]) for e in entries] == [("POST", 201), ("GET", 200)]
    assert all(e["tls"] == "TLSv1.3" and e["event"] == "access" for e in entries)
    # No query string in the log: it carries user ids.
    assert "tls-1" not in sidecar.out.read_text()


def test_client_ip_comes_from_x_forwarded_for_only_from_the_trusted_hop(
    table: str, start_app: Any, start_sidecar: Any
) -> None:
    app = start_app(TRUSTED_PROXY="127.0.0.1")
    # The "ALB" (this test, on 127.0.0.1) is trusted: the last X-Forwarded-For entry, the one
    # the ALB appended, is the client; a client's own forged entry before it is ignored.
    trusted = start_sidecar(app.port, TRUSTED_PROXIES="127.0.0.1/32")
    forged = {"X-Forwarded-For": "198.51.100.66, 203.0.113.7", "X-Request-ID": "xff-trusted"}
    assert https(trusted.port, headers=forged)[0] == 200
    # An untrusted peer's header is ignored: the client is the peer itself.
    untrusted = start_sidecar(app.port, TRUSTED_PROXIES="10.255.255.254/32")
    forged = {"X-Forwarded-For": "203.0.113.7", "X-Request-ID": "xff-untrusted"}
    assert https(untrusted.port, headers=forged)[0] == 200

    def sidecar_client(proc: Proc, request_id: str) -> str:
        wait_for(lambda: any(e["request_id"] == request_id for e in proc.lines()))
        return next(e["client"] for e in proc.lines() if e["request_id"] == request_id)

    def app_client(request_id: str) -> str:
        wait_for(lambda: request_id in app.out.read_text())
        entries = [json.loads(x) for x in app.out.read_text().splitlines()]
        return next(e["remote_addr"] for e in entries if e.get("request_id") == request_id)

    assert sidecar_client(trusted, "xff-trusted") == "203.0.113.7"
    assert app_client("xff-trusted") == "203.0.113.7"
    assert sidecar_client(untrusted, "xff-untrusted") == "127.0.0.1"
    assert app_client("xff-untrusted") == "127.0.0.1"


############################################################
# Serving like production
############################################################

# Seconds, scaled down from production (ALB 60 < sidecar 75 < app 120) with the same order.
ALB_IDLE, SIDECAR_KEEPALIVE, APP_KEEPALIVE = 2, 3, 4


def test_idle_keep_alive_longer_than_the_alb_idle_timeout_then_a_request_succeeds(
    table: str, start_app: Any, start_sidecar: Any
) -> None:
    assert APP_KEEPALIVE > SIDECAR_KEEPALIVE > ALB_IDLE
    app = start_app(CHANNEL_TIMEOUT=str(APP_KEEPALIVE))
    sidecar = start_sidecar(
        app.port,
        KEEPALIVE_TIMEOUT=str(SIDECAR_KEEPALIVE),
        UPSTREAM_KEEPALIVE_TIMEOUT=str(SIDECAR_KEEPALIVE),
    )
    connection = http.client.HTTPSConnection(
        "127.0.0.1", sidecar.port, timeout=30, context=client_context()
    )
    connection.auto_open = 0  # reuse this one TLS connection or fail: never reconnect quietly
    connection.connect()
    for _ in range(2):
        connection.request("GET", "/healthz", headers={"X-Request-ID": "keepalive"})
        assert connection.getresponse().read() == b'{"status":"ok"}'
        time.sleep(ALB_IDLE + 0.5)  # idle as long as an ALB may keep a connection
    connection.request("GET", "/healthz", headers={"X-Request-ID": "keepalive"})
    assert connection.getresponse().status == 200
    connection.close()
    wait_for(lambda: len([e for e in sidecar.lines() if e["request_id"] == "keepalive"]) == 3)
    entries = [e for e in sidecar.lines() if e["request_id"] == "keepalive"]
    assert len({e["connection"] for e in entries}) == 1
    assert [e["connection_requests"] for e in entries] == [1, 2, 3]

    # And the sidecar, not the app, closes an idle client connection, after its own timeout.
    connection = http.client.HTTPSConnection(
        "127.0.0.1", sidecar.port, timeout=30, context=client_context()
    )
    connection.request("GET", "/healthz")
    assert connection.getresponse().read() == b'{"status":"ok"}'
    started = time.monotonic()
    assert connection.sock is not None
    with contextlib.suppress(ssl.SSLEOFError):  # a FIN without close_notify is a close too
        assert connection.sock.recv(1) == b""
    assert SIDECAR_KEEPALIVE - 0.5 <= time.monotonic() - started <= SIDECAR_KEEPALIVE + 2
    connection.close()


def test_oversize_body_is_refused_before_it_is_read(
    table: str, start_app: Any, start_sidecar: Any
) -> None:
    app = start_app()
    sidecar = start_sidecar(app.port)
    raw = socket.create_connection(("127.0.0.1", sidecar.port), timeout=10)
    with client_context().wrap_socket(raw) as sock:
        started = time.monotonic()
        # 10 MB announced, none sent: an answer now means nothing was waited for or buffered.
        sock.sendall(
            b"POST /user HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Content-Length: 10000000\r\n\r\n"
        )
        answer = sock.recv(65536)
        assert time.monotonic() - started < 5
    head, _, payload = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 413"), head
    assert json.loads(payload) == {"error": "request body larger than 65536 bytes", "status": 413}
    assert "POST" not in (app.out.read_text() if app.out.exists() else "")


def test_an_in_flight_request_completes_across_sigterm(
    start_app: Any, start_sidecar: Any, tmp_path: Path
) -> None:
    import http.server

    calls: List[float] = []

    class Slow(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", "0")))
            calls.append(time.monotonic())
            time.sleep(1.5)  # DynamoDB answering slowly: longer than SIGTERM takes to arrive
            self.send_response(200)
            self.send_header("Content-Type", "application/x-amz-json-1.0")
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, format: str, *args: Any) -> None:
            pass

    store = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Slow)
    threading.Thread(target=store.serve_forever, daemon=True).start()
    try:
        app = start_app(
            AWS_ENDPOINT_URL=f"http://127.0.0.1:{store.server_address[1]}",
            AWS_DEFAULT_REGION="us-east-1",
            **DUMMY_CREDENTIALS,
        )
        sidecar = start_sidecar(app.port)
        with ThreadPoolExecutor(1) as pool:
            in_flight = pool.submit(https, sidecar.port, "GET", "/user?user_id=slow")
            wait_for(lambda: bool(calls))
            sidecar.process.send_signal(signal.SIGTERM)
            time.sleep(0.3)
            # Draining: no new connections...
            with pytest.raises(OSError):
                https(sidecar.port)
            # ...but the one in flight gets the app's answer (404: the store has no such user).
            assert in_flight.result()[0] == 404
        assert sidecar.process.wait(timeout=30) == 0
        events = [e["event"] for e in sidecar.lines("err") if "event" in e]
        assert events[-2:] == ["stopping", "stopped"]
    finally:
        store.shutdown()
        store.server_close()


def test_health_check_goes_through_tls_to_the_app(
    table: str, start_app: Any, start_sidecar: Any
) -> None:
    app = start_app()
    sidecar = start_sidecar(app.port)
    env = {**os.environ, "LISTEN_PORT": str(sidecar.port)}
    check = ["sh", str(ENTRYPOINT), "--check"]
    assert subprocess.run(check, env=env, timeout=30, check=False).returncode == 0
    stop(app.process)
    # nginx is up, the app is not: unhealthy, and clients get a JSON 503, not an HTML 502.
    assert subprocess.run(check, env=env, timeout=30, check=False).returncode == 1
    status, body, _ = https(sidecar.port)
    assert status == 503 and json.loads(body)["status"] == 503


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("UPSTREAM", "no-port"),
        ("UPSTREAM", "app:80;evil"),
        ("LISTEN_PORT", "70000"),
        ("TLS_CN", "a/CN=evil"),
        ("TRUSTED_PROXIES", "10.0.0.0/8; deny all"),
        ("KEEPALIVE_TIMEOUT", "75s"),
    ],
)
def test_bad_configuration_exits_2_and_writes_nothing(
    name: str, value: str, tmp_path: Path
) -> None:
    env = {**os.environ, "TLS_DIR": str(tmp_path / "tls"), "RUN_DIR": str(tmp_path / "run")}
    env[name] = value
    result = subprocess.run(
        ["sh", str(ENTRYPOINT)], env=env, capture_output=True, text=True, timeout=30, check=False
    )
    assert result.returncode == 2, result.stderr
    line = json.loads(result.stderr.strip().splitlines()[-1])
    assert line["event"] == "config_error" and name.split()[0] in line["message"]
    assert not (tmp_path / "tls").exists() and not (tmp_path / "run").exists()


def test_production_base_is_pinned_by_digest_and_proxy_py_is_gone() -> None:
    text = (SIDECAR_DIR / "Dockerfile").read_text()
    match = re.search(r"^ARG BASE_IMAGE=(\S+)$", text, re.MULTILINE)
    assert match is not None
    assert re.fullmatch(r"nginx:1\.\d+\.\d+-bookworm@sha256:[0-9a-f]{64}", match.group(1))
    assert not (REPO / "docker" / "tls-proxy").exists()


############################################################
# The image, built from Debian packages on the local base, run as the ECS task runs it
############################################################


@pytest.mark.integration
@pytest.mark.slow
def test_image_serves_tls_read_only_non_root(test_base: str, table: str, start_app: Any) -> None:
    require_tool("podman", "apt-get install podman runc; see tests/support/system-deps.sh")
    app = start_app()
    tag = f"localhost/sre-docker-test-tls-sidecar:{engine.unique('t')}"
    name = engine.unique("sre-docker-test-tls-sidecar")
    port = free_port()
    try:
        engine.build(SIDECAR_DIR, tag, {"BASE_IMAGE": test_base})
        engine.podman(
            "run", "-d", "--name", name, "--network", "host",
            "--read-only", "--tmpfs", "/tmp", "--user", "10001:10001", "--cap-drop", "ALL",
            "-e", f"LISTEN_PORT={port}", "-e", f"UPSTREAM=127.0.0.1:{app.port}",
            "-e", "TLS_CN=sidecar.test", "-e", "TRUSTED_PROXIES=127.0.0.1/32",
            tag,
        )  # fmt: skip
        engine.wait_healthy(name, timeout=60)
        assert https(port)[0::2] == (200, "TLSv1.3")
        first = peer_certificate(port)
        assert re.search(r"subject=\s*CN\s*=\s*sidecar\.test", x509_text(first))

        inside = engine.podman(
            "exec", name, "sh", "-c", "id -u; id -g; stat -c '%u %a' /tmp/tls/key.pem"
        ).stdout.split()
        assert inside == ["10001", "10001", "10001", "600"]
        caps = engine.podman("exec", name, "grep", "^CapEff", "/proc/1/status").stdout
        assert caps.split()[1] == "0000000000000000"

        engine.podman("stop", "-t", "25", name, timeout=60)
        # 0, not 137: SIGTERM drained and stopped it, no SIGKILL after the timeout.
        exit_code = engine.podman("inspect", "--format", "{{.State.ExitCode}}", name).stdout
        assert exit_code.strip() == "0"
        engine.podman("start", name)
        engine.wait_healthy(name, timeout=60)
        assert peer_certificate(port) != first, "each start must make a new key pair"
        logs = engine.podman("logs", name)
        access = [json.loads(x) for x in logs.stdout.splitlines() if x.startswith("{")]
        assert any(e.get("event") == "access" and e["path"] == "/healthz" for e in access)
        assert '"event":"stopped"' in logs.stderr
    finally:
        engine.podman("rm", "--force", "--ignore", name, check=False)
        engine.remove_images(tag)
