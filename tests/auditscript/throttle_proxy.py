"""A pass-through HTTP proxy to moto that answers chosen requests the way AWS refuses them.

moto never throttles, does not enforce service control policies, and lets anyone assume any
role (its STS "does not need the role to exist"). The failure tests put this proxy in front of
it; every other request is forwarded to moto unchanged. What it can do, each with AWS's own
error body:

- throttle: EC2's RequestLimitExceeded (HTTP 503) for the named actions;
- refuse: a callable ``(action, region, params) -> (status, body) or None`` for anything else
  (an AssumeRole the role's trust policy denies, every call to a region an SCP denies);
- hold: never answer the named actions (until the proxy stops), like an endpoint that hangs.

The region of a request is the one its SigV4 credential scope names, as AWS routes it.
Requests are counted per action.
"""

from __future__ import annotations

import http.client
import re
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Dict, Iterable, Optional, Tuple
from urllib.parse import parse_qs, urlparse

THROTTLED_BODY = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error>'
    b"<Code>RequestLimitExceeded</Code><Message>Request limit exceeded.</Message>"
    b"</Error></Errors><RequestID>throttle-proxy</RequestID></Response>"
)
SCOPE = re.compile(r"Credential=[^/]+/\d{8}/([a-z0-9-]+)/")

Refusal = Optional[Tuple[int, bytes]]
Refuser = Callable[[str, str, Dict[str, str]], Refusal]


def ec2_scp_denied(action: str, principal: str) -> Tuple[int, bytes]:
    """EC2's answer to a call an SCP denies (UnauthorizedOperation, HTTP 403)."""
    message = (
        f"You are not authorized to perform this operation. User: {principal} is not "
        f"authorized to perform: ec2:{action} with an explicit deny in a service control policy"
    )
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error>'
        f"<Code>UnauthorizedOperation</Code><Message>{message}</Message>"
        "</Error></Errors><RequestID>scp-proxy</RequestID></Response>"
    )
    return 403, body.encode()


def sts_assume_role_denied(principal: str, role_arn: str) -> Tuple[int, bytes]:
    """STS's answer when the role does not exist or its trust policy does not allow the caller."""
    body = (
        '<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error>'
        "<Type>Sender</Type><Code>AccessDenied</Code>"
        f"<Message>User: {principal} is not authorized to perform: sts:AssumeRole on resource: "
        f"{role_arn}</Message></Error><RequestId>trust-proxy</RequestId></ErrorResponse>"
    )
    return 403, body.encode()


class ThrottleProxy:
    def __init__(
        self,
        upstream: str,
        throttled_actions: Iterable[str] = (),
        refuse: Optional[Refuser] = None,
        hold_actions: Iterable[str] = (),
    ) -> None:
        self.upstream = urlparse(upstream)
        self.throttled = set(throttled_actions)
        self.refuse = refuse
        self.hold = set(hold_actions)
        self.calls: Counter = Counter()
        self.held = threading.Event()  # set once a request is being held
        self._release = threading.Event()
        self._lock = threading.Lock()
        self._server: Optional[ThreadingHTTPServer] = None
        self._thread: Optional[threading.Thread] = None

    @property
    def endpoint(self) -> str:
        assert self._server is not None
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def __enter__(self) -> ThrottleProxy:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                target = self.headers.get("X-Amz-Target", "")
                params = {k: v[0] for k, v in parse_qs(body.decode(errors="replace")).items()}
                action = params.get("Action") or target.rsplit(".", 1)[-1]
                scope = SCOPE.search(self.headers.get("Authorization", ""))
                region = scope.group(1) if scope else ""
                with proxy._lock:
                    proxy.calls[action] += 1
                if action in proxy.hold:
                    proxy.held.set()
                    proxy._release.wait(120)
                    return
                if action in proxy.throttled:
                    self._reply(503, THROTTLED_BODY, "text/xml")
                    return
                refusal = proxy.refuse(action, region, params) if proxy.refuse else None
                if refusal is not None:
                    json_body = refusal[1].startswith(b"{")  # the JSON protocols' error shape
                    kind = "application/x-amz-json-1.1" if json_body else "text/xml"
                    self._reply(refusal[0], refusal[1], kind)
                    return
                conn = http.client.HTTPConnection(
                    proxy.upstream.hostname or "127.0.0.1", proxy.upstream.port, timeout=60
                )
                headers = {k: v for k, v in self.headers.items() if k.lower() != "host"}
                conn.request("POST", self.path, body=body, headers=headers)
                answer = conn.getresponse()
                self._reply(answer.status, answer.read(), answer.getheader("Content-Type", ""))
                conn.close()

            def _reply(self, status: int, payload: bytes, content_type: str) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
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
        self._release.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
