"""A recording proxy in front of moto that replays EC2 answers with moto's own service time.

Why: on AWS every (account, region) is served by its own regional endpoint, on AWS's machines;
the time an answer takes costs the auditor nothing but waiting. moto serves every account and
region from one Python process on *this* two-core machine, and building a DescribeInstances
answer costs it ~6 ms of CPU per instance: sixteen concurrent scopes would queue behind moto's
CPU (and steal the auditor's), so a concurrency benchmark straight against moto measures moto.

So the benchmark records first: after a warm-up run (moto builds each account's and region's
backend on its first request, a cost AWS does not have), a sequential audit (one request at a
time, nothing contended) goes through to moto, and each EC2 answer is kept with the time moto
took to produce it. In
replay mode the same request (same account, region and parameters) gets the same bytes after
sleeping that long, the way a remote endpoint's latency costs the client no CPU. Everything
that is not an EC2 Describe call (STS, Organizations) always goes to moto. The account of a
request comes from its access key: the proxy reads the keys AssumeRole hands out.
Requests are counted per action, and replay misses are counted (a benchmark expects none).
"""

from __future__ import annotations

import http.client
import re
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Dict, Optional, Tuple
from urllib.parse import parse_qs, urlparse

REPLAYED = {"DescribeInstances", "DescribeVolumes", "DescribeInstanceTypes", "DescribeRegions"}
CREDENTIAL = re.compile(r"Credential=([^/]+)/\d{8}/([a-z0-9-]+)/")
ACCESS_KEY = re.compile(rb"<AccessKeyId>([^<]+)</AccessKeyId>")
ROLE_ACCOUNT = re.compile(r"^arn:[^:]+:iam::(\d{12}):")

Answer = Tuple[int, str, bytes, float]  # status, content type, body, seconds moto took


class ReplayProxy:
    def __init__(self, upstream: str) -> None:
        self.upstream = urlparse(upstream)
        self.mode = "pass"  # "pass" (straight to moto), "record", then "replay"
        self.calls: Counter = Counter()
        self.misses = 0
        self._answers: Dict[Tuple[str, str, bytes], Answer] = {}
        self._accounts: Dict[str, str] = {}  # access key id -> account, from AssumeRole
        self._lock = threading.Lock()
        self._server: Optional[ThreadingHTTPServer] = None
        self._thread: Optional[threading.Thread] = None

    @property
    def endpoint(self) -> str:
        assert self._server is not None
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def total_calls(self) -> int:
        with self._lock:
            return sum(self.calls.values())

    def _forward(self, path: str, body: bytes, headers: Dict[str, str]) -> Answer:
        conn = http.client.HTTPConnection(
            self.upstream.hostname or "127.0.0.1", self.upstream.port, timeout=600
        )
        started = time.perf_counter()
        conn.request("POST", path, body=body, headers=headers)
        answer = conn.getresponse()
        payload = answer.read()
        seconds = time.perf_counter() - started
        kind = answer.getheader("Content-Type", "text/xml")
        conn.close()
        return answer.status, kind, payload, seconds

    def handle(self, path: str, body: bytes, headers: Dict[str, str]) -> Tuple[int, str, bytes]:
        params = parse_qs(body.decode(errors="replace"))
        action = params.get("Action", [headers.get("X-Amz-Target", "").rsplit(".", 1)[-1]])[0]
        scope = CREDENTIAL.search(headers.get("Authorization", ""))
        key_id, region = (scope.group(1), scope.group(2)) if scope else ("", "")
        with self._lock:
            self.calls[action] += 1
            account = self._accounts.get(key_id, "caller")
        # DescribeRegions lists the same regions whichever regional endpoint answers it; the
        # single-scope runs ask it in their own region, the organisation runs in us-east-1.
        key = (account, "" if action == "DescribeRegions" else region, body)
        if action in REPLAYED and self.mode == "replay":
            with self._lock:
                cached = self._answers.get(key)
                if cached is None:
                    self.misses += 1
            if cached is not None:
                time.sleep(cached[3])
                return cached[0], cached[1], cached[2]
        status, kind, payload, seconds = self._forward(path, body, headers)
        if action == "AssumeRole" and status == 200:
            found = ACCESS_KEY.search(payload)
            role = ROLE_ACCOUNT.match(params.get("RoleArn", [""])[0])
            if found and role:
                with self._lock:
                    self._accounts[found.group(1).decode()] = role.group(1)
        if action in REPLAYED and self.mode == "record" and status == 200:
            with self._lock:
                self._answers[key] = (status, kind, payload, seconds)
        return status, kind, payload

    def __enter__(self) -> ReplayProxy:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0) or 0))
                headers = {k: v for k, v in self.headers.items() if k.lower() != "host"}
                status, kind, payload = proxy.handle(self.path, body, headers)
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

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
