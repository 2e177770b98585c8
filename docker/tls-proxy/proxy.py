"""TLS sidecar: serve TLS on LISTEN_PORT and forward the bytes to a plain-HTTP app on UPSTREAM.

At start it makes a fresh self-signed ECDSA P-256 key pair with the ``openssl`` CLI in TLS_DIR
(a tmpfs: the root filesystem is read-only). Nothing verifies this certificate (the ALB does not
verify targets), so a new one per start costs nothing and no key ever sits in an image or secret.

Standard library only, Python 3.8+. ``proxy.py --check`` is the container health check: a TLS
GET /healthz through this proxy to the app, exit 0 when it answers 200, else 1.

Environment (defaults in brackets):
  LISTEN_HOST [0.0.0.0]   LISTEN_PORT [5000]      UPSTREAM [127.0.0.1:8080]
  TLS_DIR [/tmp/tls] (CERT_DIR is read too)       TLS_CN [localhost]   TLS_DAYS [365]
  MAX_CONNECTIONS [512]   IDLE_TIMEOUT [120] s    CONNECT_TIMEOUT [5] s   SHUTDOWN_GRACE [10] s
"""

from __future__ import annotations

import asyncio
import contextlib
import http.client
import json
import os
import signal
import ssl
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Mapping, Optional, Set, Tuple

CHUNK = 64 * 1024
EXIT_OK = 0
EXIT_UNHEALTHY = 1
EXIT_CONFIG = 2
EXIT_CERT = 3


class ConfigError(ValueError):
    """An environment variable holds a value the proxy cannot use."""


class CertificateError(RuntimeError):
    """openssl could not make the key pair."""


@dataclass(frozen=True)
class Config:
    listen_host: str = "0.0.0.0"  # noqa: S104 -- the task's own interface; the SG limits who reaches it
    listen_port: int = 5000
    upstream_host: str = "127.0.0.1"
    upstream_port: int = 8080
    tls_dir: Path = Path("/tmp/tls")  # noqa: S108 -- a private 0700 dir on the task's tmpfs
    tls_cn: str = "localhost"
    tls_days: int = 365
    max_connections: int = 512
    idle_timeout: float = 120.0
    connect_timeout: float = 5.0
    shutdown_grace: float = 10.0

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Config:
        default = cls()
        host, port = _host_port(
            env.get("UPSTREAM", f"{default.upstream_host}:{default.upstream_port}")
        )
        tls_dir = env.get("TLS_DIR") or env.get("CERT_DIR") or str(default.tls_dir)
        cn = env.get("TLS_CN", default.tls_cn)
        # The CN goes into openssl's -subj: refuse what would change the subject's structure.
        if not cn or any(ch in cn for ch in "/=,+\n\r\\"):
            raise ConfigError(f"TLS_CN must be a plain host name, got {cn!r}")
        return cls(
            listen_host=env.get("LISTEN_HOST", default.listen_host),
            listen_port=_int(env, "LISTEN_PORT", default.listen_port, 1, 65535),
            upstream_host=host,
            upstream_port=port,
            tls_dir=Path(tls_dir),
            tls_cn=cn,
            tls_days=_int(env, "TLS_DAYS", default.tls_days, 1, 3650),
            max_connections=_int(env, "MAX_CONNECTIONS", default.max_connections, 1, 100000),
            idle_timeout=_float(env, "IDLE_TIMEOUT", default.idle_timeout),
            connect_timeout=_float(env, "CONNECT_TIMEOUT", default.connect_timeout),
            shutdown_grace=_float(env, "SHUTDOWN_GRACE", default.shutdown_grace),
        )


def _int(env: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be an integer, got {raw!r}") from None
    if not low <= value <= high:
        raise ConfigError(f"{name} must be between {low} and {high}, got {value}")
    return value


def _float(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number of seconds, got {raw!r}") from None
    if value <= 0:
        raise ConfigError(f"{name} must be positive, got {value}")
    return value


def _host_port(value: str) -> Tuple[str, int]:
    host, sep, port = value.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ConfigError(f"UPSTREAM must be HOST:PORT, got {value!r}")
    return host.strip("[]"), int(port)


def log(event: str, **fields: object) -> None:
    """One JSON object per line on stdout (the awslogs driver ships it as one event)."""
    record: Dict[str, object] = {
        "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "event": event,
    }
    record.update(fields)
    sys.stdout.write(json.dumps(record, default=str) + "\n")
    sys.stdout.flush()


############################################################
# Key pair
############################################################


def generate_certificate(config: Config) -> Tuple[Path, Path]:
    """A fresh self-signed ECDSA P-256 certificate and its 0600 key in ``config.tls_dir``."""
    directory = config.tls_dir
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    cert, key = directory / "cert.pem", directory / "key.pem"
    tmp_cert, tmp_key = directory / ".cert.pem.tmp", directory / ".key.pem.tmp"
    for stale in (tmp_cert, tmp_key):
        if stale.exists():
            stale.unlink()
    command = [
        "openssl", "req", "-x509", "-new", "-nodes",
        "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
        "-sha256", "-days", str(config.tls_days),
        "-subj", f"/CN={config.tls_cn}",
        "-addext", f"subjectAltName=DNS:{config.tls_cn},IP:127.0.0.1",
        "-keyout", str(tmp_key), "-out", str(tmp_cert),
    ]  # fmt: skip
    old_umask = os.umask(0o077)  # the key is never readable by anyone else, not even briefly
    try:
        result = subprocess.run(command, capture_output=True, text=True, check=False, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise CertificateError(f"openssl could not run: {exc}") from exc
    finally:
        os.umask(old_umask)
    if result.returncode != 0:
        raise CertificateError(f"openssl failed ({result.returncode}): {result.stderr.strip()}")
    tmp_key.chmod(0o600)
    # Renames after both files exist: a reader never sees a key without its certificate.
    tmp_key.replace(key)
    tmp_cert.replace(cert)
    return cert, key


def server_context(cert: Path, key: Path) -> ssl.SSLContext:
    """TLS 1.2 or 1.3 (1.3 when the client has it), forward-secret AEAD suites only for 1.2."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.set_ciphers("ECDHE+AESGCM:ECDHE+CHACHA20")
    context.options |= ssl.OP_NO_COMPRESSION | ssl.OP_CIPHER_SERVER_PREFERENCE
    context.load_cert_chain(str(cert), str(key))
    return context


############################################################
# Proxy
############################################################


class Proxy:
    """Accepts TLS connections and pipes each one to a new upstream TCP connection."""

    def __init__(self, config: Config, context: ssl.SSLContext) -> None:
        self.config = config
        self.context = context
        self.server: Optional[asyncio.base_events.Server] = None
        self.active: Set[asyncio.Task[None]] = set()

    @property
    def port(self) -> int:
        assert self.server is not None and self.server.sockets
        return int(self.server.sockets[0].getsockname()[1])

    async def start(self) -> None:
        self.server = await asyncio.start_server(
            self._handle,
            self.config.listen_host,
            self.config.listen_port,
            ssl=self.context,
            ssl_handshake_timeout=self.config.connect_timeout,
            backlog=min(self.config.max_connections, 1024),
        )

    async def shutdown(self) -> None:
        """Stop accepting, let open connections finish for the grace period, then cut them."""
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()
        if self.active:
            _, pending = await asyncio.wait(set(self.active), timeout=self.config.shutdown_grace)
            for task in pending:
                task.cancel()
            if pending:
                await asyncio.wait(pending)

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peer = _peer(writer)
        task = asyncio.current_task()
        assert task is not None
        if len(self.active) >= self.config.max_connections:
            log(
                "connection_rejected",
                peer=peer,
                reason="max_connections",
                limit=self.config.max_connections,
            )
            await _close(writer)
            return
        self.active.add(task)
        try:
            await self._pipe(peer, reader, writer)
        finally:
            self.active.discard(task)

    async def _pipe(
        self, peer: str, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        try:
            up_reader, up_writer = await asyncio.wait_for(
                asyncio.open_connection(self.config.upstream_host, self.config.upstream_port),
                timeout=self.config.connect_timeout,
            )
        except (OSError, asyncio.TimeoutError) as exc:
            log(
                "upstream_unreachable",
                peer=peer,
                upstream=f"{self.config.upstream_host}:{self.config.upstream_port}",
                error=_describe(exc),
            )
            await _close(writer)
            return
        to_app = asyncio.ensure_future(self._copy(reader, up_writer))
        to_client = asyncio.ensure_future(self._copy(up_reader, writer))
        directions = [to_app, to_client]
        try:
            done, _ = await asyncio.wait(directions, return_when=asyncio.FIRST_EXCEPTION)
            answered = to_client in done and to_client.exception() is None
            for finished in done:
                error = finished.exception()
                if error is None:
                    continue
                if finished is to_app and answered and isinstance(error, ConnectionError):
                    # The app's whole answer was delivered; the client then hung up hard
                    # (curl does, with our close_notify unread): normal, not worth a log line.
                    continue
                if isinstance(error, asyncio.TimeoutError):
                    log("idle_timeout", peer=peer, seconds=self.config.idle_timeout)
                else:
                    log("connection_error", peer=peer, error=_describe(error))
        finally:
            for direction in directions:
                direction.cancel()
            await asyncio.gather(*directions, return_exceptions=True)
            await _close(up_writer)
            await _close(writer)

    async def _copy(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:
            data = await asyncio.wait_for(reader.read(CHUNK), timeout=self.config.idle_timeout)
            if not data:
                break
            writer.write(data)
            await writer.drain()
        # Half-close where the transport can (plain TCP to the app); TLS cannot, so close it:
        # the app has finished answering and the client sees the end of the response.
        if writer.can_write_eof():
            writer.write_eof()
        else:
            writer.close()


def _peer(writer: asyncio.StreamWriter) -> str:
    info = writer.get_extra_info("peername")
    return f"{info[0]}:{info[1]}" if isinstance(info, tuple) and len(info) >= 2 else "unknown"


def _describe(exc: BaseException) -> str:
    if isinstance(exc, asyncio.TimeoutError):
        return "timeout"
    return f"{type(exc).__name__}: {exc}"


async def _close(writer: asyncio.StreamWriter) -> None:
    writer.close()
    # The peer may be gone already: nothing left to tell it.
    with contextlib.suppress(OSError, asyncio.TimeoutError, ssl.SSLError):
        await asyncio.wait_for(writer.wait_closed(), timeout=2)


async def serve(config: Config) -> None:
    cert, key = generate_certificate(config)
    proxy = Proxy(config, server_context(cert, key))
    await proxy.start()
    loop = asyncio.get_running_loop()
    stopping: asyncio.Event = asyncio.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stopping.set)
    log(
        "listening",
        port=proxy.port,
        upstream=f"{config.upstream_host}:{config.upstream_port}",
        cert=str(cert),
        cn=config.tls_cn,
    )
    await stopping.wait()
    log("stopping", open_connections=len(proxy.active))
    await proxy.shutdown()
    log("stopped")


############################################################
# Health check
############################################################


def check(config: Config, timeout: float = 3.0) -> int:
    """GET /healthz through our own TLS port; the certificate is ours and self-signed."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE  # our own self-signed certificate, over loopback
    connection = http.client.HTTPSConnection(
        "127.0.0.1", config.listen_port, timeout=timeout, context=context
    )
    try:
        connection.request("GET", "/healthz", headers={"Connection": "close"})
        response = connection.getresponse()
        response.read()  # the whole answer, so we never hang up on the proxy mid-response
        status = response.status
    except (OSError, http.client.HTTPException) as exc:
        print(f"unhealthy: {_describe(exc)}", file=sys.stderr)
        return EXIT_UNHEALTHY
    finally:
        connection.close()
    if status != 200:
        print(f"unhealthy: /healthz answered {status}", file=sys.stderr)
        return EXIT_UNHEALTHY
    return EXIT_OK


def main(argv: Optional[List[str]] = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args not in ([], ["--check"]):
        print("usage: proxy.py [--check]", file=sys.stderr)
        return EXIT_CONFIG
    try:
        config = Config.from_env(os.environ)
    except ConfigError as exc:
        log("config_error", error=str(exc))
        return EXIT_CONFIG
    if args == ["--check"]:
        return check(config)
    try:
        asyncio.run(serve(config))
    except CertificateError as exc:
        log("certificate_error", error=str(exc))
        return EXIT_CERT
    except OSError as exc:
        log("listen_error", port=config.listen_port, error=_describe(exc))
        return EXIT_CONFIG
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
