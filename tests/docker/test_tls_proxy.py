"""docker/tls-proxy: the TLS sidecar of the ECS task, in-process and as a locked-down container.

In-process tests run proxy.py's own event loop in a thread in front of a tiny local HTTP server;
the container test runs the image as ECS does (read-only root, tmpfs /tmp, UID 10001, no
capabilities) on the host network, in front of the same kind of server on the host.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import http.client
import http.server
import importlib.util
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
from dataclasses import dataclass, replace
from pathlib import Path
from types import ModuleType
from typing import Any, Iterator, List, Tuple

import pytest

from tests.docker import engine
from tests.support.localaws import free_port
from tests.support.tools import require_tool

PROXY_DIR = Path(__file__).resolve().parents[2] / "docker" / "tls-proxy"
PROXY_PY = PROXY_DIR / "proxy.py"


def load_proxy() -> ModuleType:
    # The folder name has a hyphen (it is an image context, not a package): load by path.
    spec = importlib.util.spec_from_file_location("tls_proxy", PROXY_PY)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["tls_proxy"] = module  # dataclasses look the module up while building Config
    spec.loader.exec_module(module)
    return module


proxy_mod = load_proxy()


############################################################
# A plain-HTTP upstream (the app's stand-in)
############################################################


class EchoHandler(http.server.BaseHTTPRequestHandler):
    """GET answers with the path; POST answers with the body's length and SHA-256."""

    def do_GET(self) -> None:
        body = b"ok" if self.path == "/healthz" else f"upstream saw {self.path}".encode()
        self._answer(body)

    def do_POST(self) -> None:
        data = self.rfile.read(int(self.headers["Content-Length"]))
        self._answer(f"{len(data)} {hashlib.sha256(data).hexdigest()}".encode())

    def _answer(self, body: bytes) -> None:
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def upstream() -> Iterator[int]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), EchoHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield int(server.server_address[1])
    finally:
        server.shutdown()
        server.server_close()


############################################################
# proxy.py in-process
############################################################


@dataclass
class Running:
    proxy: Any
    loop: asyncio.AbstractEventLoop
    port: int
    cert: Path
    key: Path

    def call(self, coroutine: Any, timeout: float = 30) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)


def config_for(tmp_path: Path, upstream_port: int, **overrides: Any) -> Any:
    base = proxy_mod.Config(
        listen_host="127.0.0.1",
        listen_port=free_port(),
        upstream_port=upstream_port,
        tls_dir=tmp_path / "tls",
        shutdown_grace=1.0,
    )
    return replace(base, **overrides)


@pytest.fixture
def start_proxy(tmp_path: Path) -> Iterator[Any]:
    started: List[Running] = []

    def start(config: Any) -> Running:
        cert, key = proxy_mod.generate_certificate(config)
        loop = asyncio.new_event_loop()
        threading.Thread(target=loop.run_forever, daemon=True).start()
        proxy = proxy_mod.Proxy(config, proxy_mod.server_context(cert, key))
        running = Running(proxy, loop, config.listen_port, cert, key)
        running.call(proxy.start())
        started.append(running)
        return running

    yield start
    for running in started:
        running.call(running.proxy.shutdown())
        running.loop.call_soon_threadsafe(running.loop.stop)


def insecure_client(**versions: ssl.TLSVersion) -> ssl.SSLContext:
    """A client that trusts anything: the proxy's certificate is self-signed by design."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    # OpenSSL 3 allows TLS 1.0/1.1 only at security level 0: lower it so that a refusal we see
    # is the server's, not our own client declining to offer the old version.
    context.set_ciphers("DEFAULT:@SECLEVEL=0")
    for attribute, version in versions.items():
        setattr(context, attribute, version)
    return context


def https(
    port: int, method: str = "GET", path: str = "/", body: bytes = b"", **versions: ssl.TLSVersion
) -> Tuple[int, bytes, str]:
    """(status, body, negotiated TLS version) of one request through the proxy."""
    connection = http.client.HTTPSConnection(
        "127.0.0.1", port, timeout=10, context=insecure_client(**versions)
    )
    try:
        connection.request(method, path, body=body or None)
        assert isinstance(connection.sock, ssl.SSLSocket)
        version = str(connection.sock.version())
        response = connection.getresponse()
        return response.status, response.read(), version
    finally:
        connection.close()


def tls_socket(port: int) -> ssl.SSLSocket:
    raw = socket.create_connection(("127.0.0.1", port), timeout=10)
    return insecure_client().wrap_socket(raw)


def assert_closed(sock: ssl.SSLSocket) -> None:
    """The proxy closed ``sock``: end of stream, or a reset (closed hard) is as good."""
    try:
        data = sock.recv(1024)
    except (ConnectionResetError, ssl.SSLError):
        return
    assert data == b"", f"expected the proxy to close the connection, got {data!r}"


def json_lines(text: str) -> List[dict]:
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def wait_for(predicate: Any, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.05)


def x509_text(cert_pem: str) -> str:
    result = subprocess.run(
        ["openssl", "x509", "-noout", "-subject", "-text"],
        input=cert_pem, capture_output=True, text=True, check=True,
    )  # fmt: skip
    return result.stdout


def test_key_pair_is_fresh_p256_and_private(tmp_path: Path) -> None:
    require_tool("openssl", "apt-get install openssl")
    config = config_for(tmp_path, 1, tls_cn="sidecar.test")
    cert, key = proxy_mod.generate_certificate(config)
    assert key.stat().st_mode & 0o777 == 0o600
    assert (tmp_path / "tls").stat().st_mode & 0o777 == 0o700
    text = x509_text(cert.read_text())
    assert re.search(r"subject=\s*CN\s*=\s*sidecar\.test", text)
    assert "prime256v1" in text or "P-256" in text
    assert "DNS:sidecar.test" in text
    first = cert.read_bytes()
    proxy_mod.generate_certificate(config)
    assert cert.read_bytes() != first, "a restart must make a new key pair"


def test_forwards_requests_over_tls_13(tmp_path: Path, upstream: int, start_proxy: Any) -> None:
    running = start_proxy(config_for(tmp_path, upstream))
    status, body, version = https(running.port, path="/user/42")
    assert (status, body) == (200, b"upstream saw /user/42")
    assert version == "TLSv1.3"
    # A body bigger than the socket buffers goes through whole (back-pressure, not loss).
    payload = os.urandom(3 * 1024 * 1024)
    status, body, _ = https(running.port, "POST", "/user", payload)
    assert body.decode() == f"{len(payload)} {hashlib.sha256(payload).hexdigest()}"


def test_accepts_tls_12_and_refuses_tls_11(tmp_path: Path, upstream: int, start_proxy: Any) -> None:
    running = start_proxy(config_for(tmp_path, upstream))
    status, _, version = https(running.port, maximum_version=ssl.TLSVersion.TLSv1_2)
    assert (status, version) == (200, "TLSv1.2")
    with pytest.raises(ssl.SSLError) as refused:
        https(
            running.port,
            minimum_version=ssl.TLSVersion.TLSv1,
            maximum_version=ssl.TLSVersion.TLSv1_1,
        )
    # The server's refusal, not our client failing to offer TLS 1.1: the same client completes
    # a TLS 1.1 handshake with a server that allows it.
    assert "NO_PROTOCOLS_AVAILABLE" not in str(refused.value), refused.value
    assert tls11_control_handshake(running.cert, running.key) == "TLSv1.1"


def tls11_control_handshake(cert: Path, key: Path) -> str:
    server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_context.minimum_version = ssl.TLSVersion.TLSv1
    server_context.set_ciphers("DEFAULT:@SECLEVEL=0")
    server_context.load_cert_chain(str(cert), str(key))
    with socket.create_server(("127.0.0.1", 0)) as listener:

        def serve_one() -> None:
            conn, _ = listener.accept()
            with contextlib.suppress(OSError), server_context.wrap_socket(conn, server_side=True):
                pass

        thread = threading.Thread(target=serve_one, daemon=True)
        thread.start()
        client = insecure_client(
            minimum_version=ssl.TLSVersion.TLSv1, maximum_version=ssl.TLSVersion.TLSv1_1
        )
        raw = socket.create_connection(listener.getsockname(), timeout=10)
        with client.wrap_socket(raw) as sock:
            version = str(sock.version())
        thread.join(10)
    return version


def test_unreachable_upstream_is_one_json_log_line(
    tmp_path: Path, start_proxy: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    dead = free_port()
    running = start_proxy(config_for(tmp_path, dead))
    with pytest.raises((http.client.HTTPException, OSError)):
        https(running.port)
    events = [e for e in json_lines(capsys.readouterr().out) if e["event"] != "listening"]
    assert len(events) == 1, events
    assert events[0]["event"] == "upstream_unreachable"
    assert events[0]["upstream"] == f"127.0.0.1:{dead}"
    assert events[0]["peer"].startswith("127.0.0.1:")


def test_connection_count_is_bounded(
    tmp_path: Path, upstream: int, start_proxy: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    running = start_proxy(config_for(tmp_path, upstream, max_connections=1))
    holder = tls_socket(running.port)
    try:
        wait_for(lambda: len(running.proxy.active) == 1)
        extra = tls_socket(running.port)
        extra.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        assert_closed(extra)
        extra.close()
        rejected = [e for e in json_lines(capsys.readouterr().out) if e["event"] != "listening"]
        assert [e["event"] for e in rejected] == ["connection_rejected"]
    finally:
        holder.close()
    wait_for(lambda: not running.proxy.active)
    assert https(running.port)[0] == 200


def test_shutdown_stops_accepting_and_closes_open_connections(
    tmp_path: Path, upstream: int, start_proxy: Any
) -> None:
    running = start_proxy(config_for(tmp_path, upstream, shutdown_grace=0.5))
    idle = tls_socket(running.port)
    try:
        wait_for(lambda: len(running.proxy.active) == 1)
        running.call(running.proxy.shutdown())
        assert not running.proxy.active
        assert_closed(idle)
    finally:
        idle.close()
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", running.port), timeout=5).close()


def proxy_env(port: int, upstream_port: int, tls_dir: Path, **extra: str) -> dict:
    env = dict(os.environ)
    env.update(
        LISTEN_HOST="127.0.0.1",
        LISTEN_PORT=str(port),
        UPSTREAM=f"127.0.0.1:{upstream_port}",
        TLS_DIR=str(tls_dir),
    )
    env.update(extra)
    return env


def test_sigterm_exits_cleanly_and_check_mode_reports_health(tmp_path: Path, upstream: int) -> None:
    require_tool("openssl", "apt-get install openssl")
    port = free_port()
    env = proxy_env(port, upstream, tmp_path / "tls")
    process = subprocess.Popen(
        [sys.executable, str(PROXY_PY)], env=env, stdout=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout is not None
        first = json.loads(process.stdout.readline())
        assert (first["event"], first["port"]) == ("listening", port)
        check = [sys.executable, str(PROXY_PY), "--check"]
        assert subprocess.run(check, env=env, check=False, timeout=30).returncode == 0
        dead_env = proxy_env(free_port(), upstream, tmp_path / "unused")
        assert subprocess.run(check, env=dead_env, check=False, timeout=30).returncode == 1
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
        events = [e["event"] for e in json_lines(process.stdout.read())]
        assert events == ["stopping", "stopped"]
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


@pytest.mark.parametrize(
    ("name", "value"),
    [("UPSTREAM", "no-port"), ("LISTEN_PORT", "70000"), ("TLS_CN", "a/CN=evil")],
)
def test_bad_configuration_exits_2(name: str, value: str, tmp_path: Path) -> None:
    env = proxy_env(free_port(), 1, tmp_path / "tls", **{name: value})
    result = subprocess.run(
        [sys.executable, str(PROXY_PY)], env=env, capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 2
    assert json_lines(result.stdout)[0]["event"] == "config_error"
    assert name in json_lines(result.stdout)[0]["error"]
    assert not (tmp_path / "tls").exists()


def test_default_base_image_is_tagged() -> None:
    # The Dockerfile's checkov skip of CKV_DOCKER_7 rests on this.
    text = (PROXY_DIR / "Dockerfile").read_text()
    match = re.search(r"^ARG BASE_IMAGE=(\S+)$", text, re.MULTILINE)
    assert match is not None
    assert re.fullmatch(r"python:\$\{PYTHON_VERSION\}-slim-bookworm", match.group(1))
    assert re.search(r"^ARG PYTHON_VERSION=3\.8$", text, re.MULTILINE)


############################################################
# The image, run as the ECS task runs it
############################################################


def peer_certificate(port: int) -> str:
    with tls_socket(port) as sock:
        der = sock.getpeercert(binary_form=True)
    assert der is not None
    return ssl.DER_cert_to_PEM_cert(der)


@pytest.mark.integration
@pytest.mark.slow
def test_image_serves_tls_read_only_non_root(test_base: str, upstream: int) -> None:
    require_tool("podman", "apt-get install podman runc; see tests/support/system-deps.sh")
    require_tool("openssl", "apt-get install openssl")
    tag = f"localhost/sre-docker-test-tls-proxy:{engine.unique('t')}"
    name = engine.unique("sre-docker-test-tls-proxy")
    port = free_port()
    try:
        engine.build(PROXY_DIR, tag, {"BASE_IMAGE": test_base})
        engine.podman(
            "run", "-d", "--name", name, "--network", "host",
            "--read-only", "--tmpfs", "/tmp", "--user", "10001:10001", "--cap-drop", "ALL",
            "-e", f"LISTEN_PORT={port}", "-e", f"UPSTREAM=127.0.0.1:{upstream}",
            "-e", "TLS_CN=sidecar.test",
            tag,
        )  # fmt: skip
        engine.wait_healthy(name, timeout=60)
        status, body, version = https(port, path="/user/7")
        assert (status, body, version) == (200, b"upstream saw /user/7", "TLSv1.3")

        first = peer_certificate(port)
        text = x509_text(first)
        assert re.search(r"subject=\s*CN\s*=\s*sidecar\.test", text)
        assert "prime256v1" in text or "P-256" in text

        inside = engine.podman(
            "exec", name, "sh", "-c", "id -u; id -g; stat -c '%u %a' /tmp/tls/key.pem"
        ).stdout.split()
        assert inside == ["10001", "10001", "10001", "600"]
        caps = engine.podman("exec", name, "grep", "^CapEff", "/proc/1/status").stdout
        assert caps.split()[1] == "0000000000000000"

        engine.podman("stop", "-t", "20", name, timeout=60)
        # 0, not 137: SIGTERM stopped it cleanly, no SIGKILL after the timeout.
        exit_code = engine.podman("inspect", "--format", "{{.State.ExitCode}}", name).stdout
        assert exit_code.strip() == "0"
        engine.podman("start", name)
        engine.wait_healthy(name, timeout=60)
        assert peer_certificate(port) != first, "each start must make a new key pair"
        logs = engine.podman("logs", name).stdout
        assert [e["event"] for e in json_lines(logs)].count("stopped") == 1
    finally:
        engine.podman("rm", "--force", "--ignore", name, check=False)
        engine.remove_images(tag)
