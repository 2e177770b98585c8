"""`make demo`: the whole product on a laptop, against a local AWS stand-in.

Starts a moto server on 127.0.0.1, creates the users table, runs the /user service on port 5000
(logs in ./logs/app), makes a real POST and GET, runs each section's demo step, then keeps the
service up for you to try until Ctrl-C, and stops everything it started.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Dict, List, Optional

from tests.support.localaws import MotoServer

REPO = Path(__file__).resolve().parents[2]
APP = REPO / "docker" / "app"
# Section demo steps, in the order a newcomer would read the sections.
SECTION_STEPS = [
    ("Section 3: EC2 audit report", "tests.auditscript.demo_step"),
    ("Section 4: Route53 weighted-record check", "tests.cicd.demo_step"),
]


def banner(title: str) -> None:
    print(f"\n\033[1m== {title}\033[0m", flush=True)


def http(method: str, url: str, body: Optional[dict] = None) -> tuple[int, str]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method)
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def post_then_get(base: str) -> None:
    """The walkthrough's first steps: store a user, read it back, print both answers."""
    status, body = http(
        "POST", f"{base}/user", {"name": "Ada Lovelace", "email": "ada@example.com"}
    )
    print(f"   POST /user -> {status} {body}")
    user_id = json.loads(body)["user_id"]
    status, body = http("GET", f"{base}/user?user_id={user_id}")
    print(f"   GET /user?user_id={user_id} -> {status} {body}")


def start_service(env: Dict[str, str], port: int, log_dir: Path) -> subprocess.Popen[bytes]:
    env = {**env, "PORT": str(port), "HOST": "127.0.0.1", "LOG_DIR": str(log_dir)}
    # Own session: Ctrl-C reaches only us, and we stop the service in order.
    process = subprocess.Popen(
        [sys.executable, str(APP / "app.py")],
        env=env,
        stdout=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the service exited with status {process.returncode}")
        try:
            if http("GET", f"http://127.0.0.1:{port}/readyz")[0] == 200:
                return process
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.2)
    process.terminate()
    raise SystemExit("the service did not become ready within 20 s")


def port_is_free(port: int) -> bool:
    import socket

    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) != 0


def run_steps(env: Dict[str, str], steps: List[tuple[str, str]]) -> int:
    failures = 0
    for title, module in steps:
        module_file = REPO / (module.replace(".", "/") + ".py")
        if not module_file.exists():
            continue
        banner(title)
        result = subprocess.run([sys.executable, "-m", module], env=env, cwd=REPO, check=False)
        if result.returncode != 0:
            print(f"   (step failed with status {result.returncode})")
            failures += 1
    return failures


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="make demo", description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--port",
        type=int,
        default=int(os.environ.get("PORT", "5000")),
        help="service port (default 5000, or $PORT)",
    )
    parser.add_argument(
        "--no-wait",
        action="store_true",
        help="stop after the walkthrough instead of waiting for Ctrl-C",
    )
    parser.add_argument(
        "--log-dir",
        type=Path,
        default=REPO / "logs" / "app",
        help="where the service writes app.log (default ./logs/app)",
    )
    parser.add_argument(
        "--container",
        action="store_true",
        help="run the service and DynamoDB as containers (docker/compose.yaml)",
    )
    args = parser.parse_args(argv)

    if args.container:
        from tests.support.demo_container import run

        banner("The /user service in containers (docker/compose.yaml)")
        return run(args.no_wait)

    if not port_is_free(args.port):
        print(f"port {args.port} is in use; run: PORT={args.port + 1} make demo", file=sys.stderr)
        return 2
    sys.path.insert(0, str(APP))
    banner("Local AWS stand-in (moto server)")
    moto = MotoServer(log_path=REPO / ".cache" / "demo-moto.log")
    (REPO / ".cache").mkdir(exist_ok=True)
    service: Optional[subprocess.Popen[bytes]] = None
    interrupted = False

    def on_sigterm(signum: int, _frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_sigterm)
    # Ctrl-C must stop the demo even when it was started from a context that ignores SIGINT
    # (any `cmd &` of a non-interactive shell, e.g. a CI script): Python keeps an inherited
    # SIG_IGN instead of installing its KeyboardInterrupt handler.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        moto.start()
        env = {**os.environ, **moto.env()}
        os.environ.update(moto.env())
        print(f"   moto on {moto.endpoint}; clients get it through AWS_ENDPOINT_URL")
        from create_table import ensure_table

        ensure_table("users")
        print("   DynamoDB table 'users' ready")

        banner(f"The /user service on http://127.0.0.1:{args.port} (logs: {args.log_dir})")
        service = start_service(env, args.port, args.log_dir)
        base = f"http://127.0.0.1:{args.port}"
        post_then_get(base)

        failures = run_steps(env, SECTION_STEPS)

        banner("Try it yourself")
        exports = " ".join(
            f"{k}={shlex.quote(v)}"
            for k, v in moto.env().items()
            if k in ("AWS_ENDPOINT_URL", "AWS_DEFAULT_REGION")
        )
        print(f"""   curl -s -X POST {base}/user -H 'Content-Type: application/json' \\
        -d '{{"name": "Grace Hopper", "email": "grace@example.com"}}'
   curl -s '{base}/user?limit=10'
   curl -s {base}/readyz
   tail -f {args.log_dir}/app.log
   {exports} AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing \\
        python auditscript/audit.py --region us-east-1 --output /tmp/audit.csv""")
        if shutil.which("docker") or shutil.which("podman"):
            print("\n   Same service in containers: make demo DEMO=container")
        if args.no_wait:
            return 1 if failures else 0
        print("\n   Running. Press Ctrl-C to stop.", flush=True)
        while service.poll() is None:
            time.sleep(0.5)
        print(f"the service exited with status {service.returncode}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        interrupted = True
        return 0
    finally:
        # Each phase says what it waits for and how long it took (stderr), so a slow stop
        # shows where the time went.
        started = time.monotonic()
        if service is not None and service.poll() is None:
            print(f"\nstopping the service (pid {service.pid}) ...", file=sys.stderr, flush=True)
            service.terminate()
            try:
                service.wait(timeout=10)
            except subprocess.TimeoutExpired:
                print("the service did not stop within 10 s: killed", file=sys.stderr)
                service.kill()
                service.wait()
        print(f"stopping the moto server ({moto.endpoint}) ...", file=sys.stderr, flush=True)
        moto.stop()
        if interrupted:
            took = time.monotonic() - started
            print(f"stopped the service and the moto server in {took:.1f} s", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
