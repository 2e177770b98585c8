"""moto's own server, answering one request at a time.

    python -m tests.support.moto_serial -H 127.0.0.1 -p PORT

Why: moto keeps its state in plain dicts and lists shared by the server's threads, without
locks. Under the parallel calls of a whole `terraform apply` (ten workers, many resources tagged
at once) a request it has already carried out can still fail or lose its connection; the
provider retries it and a non-idempotent call then collides with its own first attempt. That is
the likely story of the one `InvalidPermission.Duplicate` on AuthorizeSecurityGroupEgress in the
OpenTofu e2e of 2026-12-02 (every rule was distinct); the race did not reproduce in isolation,
so this removes the class instead. AWS has no such race, so the infra end-to-end tests use this
launcher: the same moto app, request handler and port as `moto_server`, with a lock around each
request. Clients still connect in parallel (the server stays threaded) and moto answers in
milliseconds, so applies are not noticeably slower. Benchmarks that measure client concurrency
keep the plain `moto_server`.
"""

from __future__ import annotations

import argparse
import os
import threading
from typing import Any, Callable, Iterable, List, Optional

from moto.moto_server.werkzeug_app import MotoRequestHandler
from moto.server import DomainDispatcherApplication, create_backend_app
from werkzeug.serving import run_simple

WSGIApp = Callable[[dict, Callable[..., Any]], Iterable[bytes]]


class Serialized:
    """WSGI middleware: one request inside `app` at a time, its body read out under the lock
    (moto renders some responses lazily, while the body is iterated)."""

    def __init__(self, app: WSGIApp) -> None:
        self.app = app
        self.lock = threading.Lock()

    def __call__(self, environ: dict, start_response: Callable[..., Any]) -> List[bytes]:
        with self.lock:
            result = self.app(environ, start_response)
            try:
                return [b"".join(result)]
            finally:
                close = getattr(result, "close", None)
                if close is not None:
                    close()


def main(argv: Optional[List[str]] = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m tests.support.moto_serial",
        description="Run moto's server with requests handled one at a time (see module doc).",
    )
    parser.add_argument("-H", "--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("-p", "--port", type=int, required=True, help="port to listen on")
    args = parser.parse_args(argv)
    # As moto_server does: moto builds some URLs (SQS queue URLs) from it.
    os.environ.setdefault("MOTO_PORT", str(args.port))
    app = DomainDispatcherApplication(create_backend_app)
    run_simple(
        args.host,
        args.port,
        Serialized(app),
        threaded=True,
        request_handler=MotoRequestHandler,
    )


if __name__ == "__main__":
    main()
