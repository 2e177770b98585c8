"""Scripted synthetic transaction for the /user service, run from two regions.

Every --interval seconds: POST /user with a synthetic user, GET it back by the returned user_id
and check the e-mail round-tripped (the whole stack: DNS, TLS, WAF, ALB, a task, DynamoDB), then
call each vendor sandbox given with --vendor-sandbox (our test credentials against the vendor's
sandbox). Results are served as Prometheus metrics on --listen for the synthetics scrape job:

  synthetic_transaction_success{check="user-post-get",region=R}            1 or 0
  synthetic_transaction_success{check="vendor-sandbox",dependency=D,region=R}
  synthetic_transaction_duration_seconds{...}                               last run, seconds
  synthetic_transaction_last_run_timestamp_seconds{...}                     unix time

A vendor credential is read from the environment variable SANDBOX_TOKEN_<NAME> (name upper-case,
'-' as '_'), sent as a bearer token, never logged. Standard library only, so it runs in a
minimal container or a Lambda. Progress and failures go to stderr, one line per check.

Exit codes: 0 ok (with --once: every check passed), 1 a check failed (--once), 2 bad arguments.

Example:
  python monitoring/synthetics/user_transaction.py --base-url https://www.somedomain.com \\
      --region eu-west-1 --listen 0.0.0.0:9469 --vendor-sandbox kyc-api=https://sandbox.kyc.example/ping
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Dict, List, Optional, Tuple

Labels = Tuple[Tuple[str, str], ...]


class Results:
    """The latest result of every check, rendered in the Prometheus text format."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rows: Dict[Labels, Tuple[float, float, float]] = {}

    def record(self, labels: Labels, ok: bool, seconds: float) -> None:
        with self._lock:
            self._rows[labels] = (1.0 if ok else 0.0, seconds, time.time())

    def render(self) -> str:
        names = (
            ("synthetic_transaction_success", "1 if the last run of the check succeeded."),
            ("synthetic_transaction_duration_seconds", "Duration of the last run."),
            ("synthetic_transaction_last_run_timestamp_seconds", "When the check last ran."),
        )
        lines: List[str] = []
        with self._lock:
            rows = dict(self._rows)
        for index, (name, help_text) in enumerate(names):
            lines += [f"# HELP {name} {help_text}", f"# TYPE {name} gauge"]
            for labels, values in sorted(rows.items()):
                rendered = ",".join(f'{k}="{v}"' for k, v in labels)
                lines.append(f"{name}{{{rendered}}} {values[index]}")
        return "\n".join(lines) + "\n"


def _request(
    url: str, timeout: float, data: Optional[bytes] = None, token: Optional[str] = None
) -> Tuple[int, bytes]:
    headers = {"Content-Type": "application/json", "User-Agent": "sre-synthetics/1"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(  # noqa: S310 (URLs come from the operator's flags)
        url, data=data, headers=headers, method="POST" if data is not None else "GET"
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 (same)
            return int(response.status), response.read()
    except urllib.error.HTTPError as exc:
        return int(exc.code), exc.read()


def user_post_get(base_url: str, timeout: float) -> Tuple[bool, str]:
    """POST a synthetic user, GET it back; (ok, reason)."""
    email = f"synthetic+{uuid.uuid4().hex[:12]}@example.com"
    body = json.dumps({"name": "Synthetic Probe", "email": email}).encode()
    try:
        status, payload = _request(f"{base_url}/user", timeout, data=body)
        if status != 201:
            return False, f"POST /user answered {status}"
        user_id = json.loads(payload)["user_id"]
        query = urllib.parse.urlencode({"user_id": user_id})
        status, payload = _request(f"{base_url}/user?{query}", timeout)
        if status != 200:
            return False, f"GET /user answered {status}"
        if json.loads(payload).get("email") != email:
            return False, "GET /user returned another user"
    except (OSError, ValueError, KeyError) as exc:
        return False, f"{type(exc).__name__}: {exc}"
    return True, "ok"


def vendor_sandbox(name: str, url: str, timeout: float) -> Tuple[bool, str]:
    token = os.environ.get("SANDBOX_TOKEN_" + name.upper().replace("-", "_"))
    try:
        status, _ = _request(url, timeout, token=token)
    except OSError as exc:
        return False, f"{type(exc).__name__}: {exc}"
    if status in (401, 403):
        return False, f"credentials rejected ({status})"
    return 200 <= status < 300, f"answered {status}"


def run_checks(args: argparse.Namespace, results: Results) -> bool:
    all_ok = True
    start = time.monotonic()
    ok, reason = user_post_get(args.base_url.rstrip("/"), args.timeout)
    results.record(
        (("check", "user-post-get"), ("region", args.region)), ok, time.monotonic() - start
    )
    print(f"[synthetics] {args.region} user-post-get: {reason}", file=sys.stderr)
    all_ok &= ok
    for name, url in args.vendor_sandbox:
        start = time.monotonic()
        ok, reason = vendor_sandbox(name, url, args.timeout)
        labels = (("check", "vendor-sandbox"), ("dependency", name), ("region", args.region))
        results.record(labels, ok, time.monotonic() - start)
        print(f"[synthetics] {args.region} vendor-sandbox {name}: {reason}", file=sys.stderr)
        all_ok &= ok
    return all_ok


def _sandbox(value: str) -> Tuple[str, str]:
    name, sep, url = value.partition("=")
    if not sep or not name or not url.startswith(("http://", "https://")):
        raise argparse.ArgumentTypeError(f"expected NAME=http(s)://URL, got {value!r}")
    return name, url


def _listen(value: str) -> Tuple[str, int]:
    host, sep, port = value.rpartition(":")
    if not sep or not port.isdigit():
        raise argparse.ArgumentTypeError(f"expected HOST:PORT, got {value!r}")
    return host, int(port)


def parse_args(argv: Optional[List[str]]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Run the scripted POST-then-GET transaction and vendor sandbox calls, and "
        "serve the results as Prometheus metrics.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__.split("Example:", 1)[1] if __doc__ else None,
    )
    parser.add_argument("--base-url", required=True, help="the service, e.g. https://host")
    parser.add_argument("--region", required=True, help="label for where this prober runs")
    parser.add_argument(
        "--vendor-sandbox",
        action="append",
        type=_sandbox,
        default=[],
        metavar="NAME=URL",
        help="a vendor sandbox endpoint to call (repeatable); NAME is the dependency label",
    )
    parser.add_argument("--interval", type=float, default=60.0, help="seconds between runs (60)")
    parser.add_argument("--timeout", type=float, default=10.0, help="per-request timeout (10)")
    parser.add_argument("--listen", type=_listen, help="serve /metrics on HOST:PORT")
    parser.add_argument("--once", action="store_true", help="run once, print metrics, exit")
    args = parser.parse_args(argv)
    if not args.once and args.listen is None:
        parser.error("give --listen HOST:PORT, or --once")
    if not args.base_url.startswith(("http://", "https://")):
        parser.error("--base-url must start with http:// or https://")
    return args


def main(argv: Optional[List[str]] = None) -> int:
    args = parse_args(argv)
    results = Results()
    if args.once:
        ok = run_checks(args, results)
        sys.stdout.write(results.render())
        return 0 if ok else 1

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path != "/metrics":
                self.send_error(404)
                return
            body = results.render().encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/plain; version=0.0.4")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            return

    server = ThreadingHTTPServer(args.listen, Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    print(
        f"[synthetics] serving /metrics on {args.listen[0]}:{server.server_port}", file=sys.stderr
    )
    try:
        while True:
            run_checks(args, results)
            time.sleep(args.interval)
    except KeyboardInterrupt:
        return 0
    finally:
        server.shutdown()


if __name__ == "__main__":
    sys.exit(main())
