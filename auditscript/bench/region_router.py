"""Route each signed AWS request to a per-region moto server, like AWS's regional endpoints.

One moto process serves every region from one Python interpreter, so concurrent regional scans
queue behind its GIL and --all-regions could never beat the sum of single-region runs. Real
regions are independent endpoints; this router gives each seeded region its own moto process
and sends a request where its SigV4 credential scope (``.../<region>/<service>/aws4_request``)
says. Regions without their own server go to a default one.
"""

from __future__ import annotations

import http.client
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Dict, Optional
from urllib.parse import urlparse

SCOPE = re.compile(r"Credential=[^/]+/\d{8}/([a-z0-9-]+)/")


class RegionRouter:
    def __init__(self, default: str, by_region: Dict[str, str]) -> None:
        self.default = default
        self.by_region = by_region
        self._server: Optional[ThreadingHTTPServer] = None
        self._thread: Optional[threading.Thread] = None

    @property
    def endpoint(self) -> str:
        assert self._server is not None
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def upstream(self, authorization: str) -> str:
        match = SCOPE.search(authorization)
        return self.by_region.get(match.group(1), self.default) if match else self.default

    def __enter__(self) -> RegionRouter:
        router = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _forward(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0) or 0))
                target = urlparse(router.upstream(self.headers.get("Authorization", "")))
                conn = http.client.HTTPConnection(
                    target.hostname or "127.0.0.1", target.port, timeout=300
                )
                headers = {k: v for k, v in self.headers.items() if k.lower() != "host"}
                conn.request(self.command, self.path, body=body, headers=headers)
                answer = conn.getresponse()
                payload = answer.read()
                conn.close()
                self.send_response(answer.status)
                for key, value in answer.getheaders():
                    if key.lower() not in ("content-length", "transfer-encoding", "connection"):
                        self.send_header(key, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _forward

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._server is not None and self._thread is not None
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
