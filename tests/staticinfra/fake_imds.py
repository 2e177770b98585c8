"""A fake EC2 instance metadata service (IMDSv2 only) on a loopback port.

It behaves like IMDS with ``HttpTokens=required``: ``PUT /latest/api/token`` with a TTL header
returns a session token; ``GET /latest/meta-data/<path>`` answers only with that token and
returns 401 without it. Tests read ``requests`` to see what clients actually sent.
"""

from __future__ import annotations

import secrets
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Dict, List, Optional, Tuple

from tests.support.localaws import free_port

TOKEN_PATH = "/latest/api/token"
META_PREFIX = "/latest/meta-data/"


class FakeImds:
    def __init__(self, metadata: Dict[str, str]) -> None:
        self.metadata = dict(metadata)
        self.token = secrets.token_hex(16)
        # False: hand out tokens but refuse them on reads (a broken or hostile IMDS).
        self.accept_tokens = True
        self.port = free_port()
        self.requests: List[Tuple[str, str, bool]] = []  # (method, path, had a valid token)
        self._server: Optional[ThreadingHTTPServer] = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _handler(self) -> type:
        imds = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:
                pass

            def _reply(self, status: int, body: str = "") -> None:
                data = body.encode()
                self.send_response(status)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_PUT(self) -> None:
                imds.requests.append(("PUT", self.path, False))
                if self.path != TOKEN_PATH:
                    self._reply(404)
                elif not self.headers.get("X-aws-ec2-metadata-token-ttl-seconds"):
                    self._reply(400, "missing X-aws-ec2-metadata-token-ttl-seconds")
                else:
                    self._reply(200, imds.token)

            def do_GET(self) -> None:
                sent = self.headers.get("X-aws-ec2-metadata-token")
                valid = imds.accept_tokens and sent == imds.token
                imds.requests.append(("GET", self.path, valid))
                if not valid:
                    self._reply(401)
                    return
                key = self.path[len(META_PREFIX) :] if self.path.startswith(META_PREFIX) else None
                if key is None or key not in imds.metadata:
                    self._reply(404)
                    return
                self._reply(200, imds.metadata[key])

        return Handler

    def start(self) -> FakeImds:
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), self._handler())
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeImds:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
