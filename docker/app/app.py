"""Entry point of the /user service: ``python app.py`` serves on PORT (default 5000).

Configuration comes only from the environment:
  PORT          listen port (default 5000)
  HOST          listen address (default 0.0.0.0; the container's port mapping decides exposure)
  THREADS       waitress worker threads (default 16)
  USERS_TABLE   DynamoDB table name (default "users")
  LOG_DIR       directory for app.log (default /var/log/app; empty disables the file)
  LOG_LEVEL     default INFO
  HEARTBEAT_SECONDS  a {"event":"heartbeat"} log line this often (default 60; 0 disables)
  AWS_*         the standard AWS SDK environment (region, credentials chain, AWS_ENDPOINT_URL)
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from pathlib import Path
from typing import Any

# Run from any working directory: the package sits next to this file.
sys.path.insert(0, str(Path(__file__).resolve().parent))

from userapi import UserStore, create_app
from userapi.logs import configure
from waitress import create_server


def _heartbeat(log: Any, every: float, stop: threading.Event) -> None:
    # One line a minute per task: the log pipeline's dead-man's switch (monitoring/README.md).
    while not stop.wait(every):
        log.info("heartbeat", extra={"fields": {"event": "heartbeat", "pid": os.getpid()}})


def _stop(signum: int, _frame: Any) -> None:
    # Leave waitress' loop; the finally block in main() closes the listener.
    raise SystemExit(0)


def main() -> int:
    log = configure(os.environ.get("LOG_DIR", "/var/log/app"), os.environ.get("LOG_LEVEL", "INFO"))
    store = UserStore(os.environ.get("USERS_TABLE", "users"))
    app = create_app(store, log)
    host = os.environ.get("HOST", "0.0.0.0")  # noqa: S104 - a container must listen on all interfaces
    port = int(os.environ.get("PORT", "5000"))
    server = create_server(
        app,
        host=host,
        port=port,
        threads=int(os.environ.get("THREADS", "16")),
        ident="userapi",
        # Slow or dead clients must not pin worker threads.
        channel_timeout=30,
        connection_limit=1000,
    )
    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    log.info("listening", extra={"fields": {"host": host, "port": port, "table": store.table}})
    stop = threading.Event()
    every = float(os.environ.get("HEARTBEAT_SECONDS", "60"))
    if every > 0:
        threading.Thread(target=_heartbeat, args=(log, every, stop), daemon=True).start()
    try:
        server.run()
    finally:
        stop.set()
        server.close()
        log.info("stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
