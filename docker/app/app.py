"""Entry point of the /user service: ``python app.py`` serves on PORT (default 5000).

Configuration comes only from the environment:
  PORT          listen port (default 5000)
  HOST          listen address (default 0.0.0.0; the container's port mapping decides exposure)
  THREADS       waitress worker threads (default 16)
  STORE_CONCURRENCY  DynamoDB calls in flight at most (default THREADS - 2, so a sick table
                never takes the threads /healthz needs; a request that finds no free slot within
                0.25 s gets a quick 503)
  USERS_TABLE   DynamoDB table name (default "users")
  LOG_DIR       directory for app.log (default /var/log/app; empty disables the file)
  LOG_LEVEL     default INFO
  HEARTBEAT_SECONDS  a {"event":"heartbeat"} log line this often (default 60; 0 disables)
  CHANNEL_TIMEOUT    seconds an idle keep-alive connection is kept (default 120: longer than
                the TLS sidecar keeps its idle upstream connections, 60, so the app never
                closes a connection the sidecar is about to reuse)
  DRAIN_SECONDS after SIGTERM, seconds in-flight requests get to finish (default 20, below
                ECS's stopTimeout of 30)
  TRUSTED_PROXY the peer address whose X-Forwarded-For is believed (default 127.0.0.1: the TLS
                sidecar in the same task; empty: never believed)
  AWS_*         the standard AWS SDK environment (region, credentials chain, AWS_ENDPOINT_URL)

Exit codes: 0 after a clean stop, 2 for bad configuration.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from pathlib import Path
from typing import Any, Dict

# Run from any working directory: the package sits next to this file.
sys.path.insert(0, str(Path(__file__).resolve().parent))

from userapi import UserStore, create_app
from userapi.lingering import LingeringChannel
from userapi.logs import configure
from userapi.web import MAX_BODY_BYTES
from waitress import create_server, wasyncore


class ConfigError(ValueError):
    """An environment variable has a value we cannot use."""


def _number(env: Dict[str, str], name: str, default: str, minimum: float = 0) -> float:
    raw = env.get(name, default)
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r} is not a number") from None
    if value < minimum:
        raise ConfigError(f"{name}={raw!r} must be at least {minimum:g}")
    return value


def settings(env: Dict[str, str]) -> Dict[str, Any]:
    """The server settings from ``env``, or ConfigError naming the bad variable."""
    threads = int(_number(env, "THREADS", "16", 1))
    return {
        "host": env.get("HOST", "0.0.0.0"),  # noqa: S104 - a container listens on all interfaces
        "port": int(_number(env, "PORT", "5000", 1)),
        "threads": threads,
        "store_concurrency": int(_number(env, "STORE_CONCURRENCY", str(max(1, threads - 2)), 1)),
        "channel_timeout": int(_number(env, "CHANNEL_TIMEOUT", "120", 1)),
        "drain_seconds": _number(env, "DRAIN_SECONDS", "20"),
        "heartbeat": _number(env, "HEARTBEAT_SECONDS", "60"),
        "trusted_proxy": env.get("TRUSTED_PROXY", "127.0.0.1").strip(),
    }


def _heartbeat(log: Any, every: float, stop: threading.Event) -> None:
    # One line a minute per task: the log pipeline's dead-man's switch (monitoring/README.md).
    while not stop.wait(every):
        log.info("heartbeat", extra={"fields": {"event": "heartbeat", "pid": os.getpid()}})


def _busy(server: Any) -> bool:
    """A request is being received, served or its answer is still being sent."""
    return any(ch.requests or ch.total_outbufs_len for ch in server.active_channels.values())


def _close_idle(server: Any) -> None:
    for channel in list(server.active_channels.values()):
        if not channel.requests and not channel.total_outbufs_len:
            channel.will_close = True  # closed by the loop on its next turn


def serve(server: Any, stopping: threading.Event, drain_seconds: float) -> int:
    """Run waitress until ``stopping``; then drain: no new connections, in-flight requests get
    up to ``drain_seconds``, idle keep-alive connections are closed. Returns requests cut off.

    waitress' own run() stops its loop at once on SIGTERM, dropping answers still to be sent.
    """
    loop_map = server._map  # the socket map waitress passes to wasyncore.loop in run()
    while not stopping.is_set():
        wasyncore.loop(timeout=1.0, map=loop_map, use_poll=True, count=1)
    # Stop listening: the port refuses new connections from here on.
    server.accepting = False
    server.del_channel()
    server.socket.close()
    deadline = time.monotonic() + drain_seconds
    while time.monotonic() < deadline:
        _close_idle(server)
        if not _busy(server) and not server.active_channels:
            break
        wasyncore.loop(timeout=0.1, map=loop_map, use_poll=True, count=1)
    cut = sum(1 for ch in server.active_channels.values() if ch.requests)
    server.task_dispatcher.shutdown(timeout=1)
    server.close()
    return cut


def main() -> int:
    try:
        config = settings(dict(os.environ))
    except ConfigError as exc:
        print(f"app.py: {exc}", file=sys.stderr)
        return 2
    log = configure(os.environ.get("LOG_DIR", "/var/log/app"), os.environ.get("LOG_LEVEL", "INFO"))
    store = UserStore(
        os.environ.get("USERS_TABLE", "users"), concurrency=config["store_concurrency"]
    )
    app = create_app(store, log)
    proxy: Dict[str, Any] = {}
    if config["trusted_proxy"]:
        # Only the sidecar's X-Forwarded-For is believed (it overwrites the header with the
        # address it trusts); from any other peer the header is removed before Flask sees it.
        proxy = {
            "trusted_proxy": config["trusted_proxy"],
            "trusted_proxy_count": 1,
            "trusted_proxy_headers": {"x-forwarded-for"},
            "clear_untrusted_proxy_headers": True,
        }
    server = create_server(
        app,
        host=config["host"],
        port=config["port"],
        threads=config["threads"],
        ident="userapi",
        # waitress buffers a request whole before a thread sees it: refuse big ones while
        # reading the headers (Content-Length) or the chunks, not after buffering them.
        max_request_body_size=MAX_BODY_BYTES,
        channel_timeout=config["channel_timeout"],
        connection_limit=1000,
        **proxy,
    )
    # A refused upload's 413 must reach a client that is still sending (userapi/lingering.py).
    server.channel_class = LingeringChannel
    stopping = threading.Event()

    def _stop(signum: int, _frame: Any) -> None:
        stopping.set()  # the poll() in serve() returns on the signal and sees this

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    log.info(
        "listening",
        extra={"fields": {"host": config["host"], "port": config["port"], "table": store.table}},
    )
    heartbeat_stop = threading.Event()
    if config["heartbeat"] > 0:
        threading.Thread(
            target=_heartbeat, args=(log, config["heartbeat"], heartbeat_stop), daemon=True
        ).start()
    try:
        cut = serve(server, stopping, config["drain_seconds"])
    finally:
        heartbeat_stop.set()
    log.info("stopped", extra={"fields": {"event": "stopped", "requests_cut": cut}})
    return 0


if __name__ == "__main__":
    sys.exit(main())
