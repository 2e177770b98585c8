"""The local AWS stand-in: a real moto server on a free loopback port.

Tests, benchmarks and the demo all reach it the way real tools reach AWS: through the standard
environment (``AWS_ENDPOINT_URL``, ``AWS_DEFAULT_REGION``, dummy credentials). Nothing in the
product knows it exists.

CLI (used by ``make demo``)::

    python -m tests.support.localaws start --port 0 --env-file .cache/localaws.env
    python -m tests.support.localaws stop --env-file .cache/localaws.env
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Dict, Iterator, Optional

DEFAULT_REGION = "us-east-1"
# Dummy credentials: moto accepts anything; real AWS would reject these.
DUMMY_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}


def free_port(host: str = "127.0.0.1") -> int:
    """Return a TCP port that was free on ``host`` a moment ago."""
    with refused_port(host) as port:
        return port


@contextlib.contextmanager
def refused_port(host: str = "127.0.0.1") -> Iterator[int]:
    """A port where nothing listens for as long as the block runs: connections are refused.

    A port from ``free_port`` is only free until someone takes it, and the next ``free_port``
    can hand out the same number: a test that pointed AWS_ENDPOINT_URL at "nothing" and then
    started its service on a second free port once got the service itself as its DynamoDB (a
    400, not the 503 expected). Holding the port bound, never listening, rules that out.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        yield int(sock.getsockname()[1])


def stop_group(process: subprocess.Popen[bytes], grace: float = 5.0) -> None:
    """Stop a server started with start_new_session=True: SIGTERM to its whole process group (the
    launcher, such as npx, and whatever it spawned), up to `grace` seconds for the launcher to
    exit, then SIGKILL to whatever is left of the group. Waiting for the launcher alone is not
    enough: a child that ignored SIGTERM would outlive it and keep the port. (Polling the group
    instead is no good here: PID 1 of these machines does not reap orphans, so an exited child
    stays a zombie member of the group.)"""
    if process.returncode is not None:
        return  # reaped before: its PID, so its group ID, may already belong to someone else
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=grace)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()


class MotoServer:
    """A moto server process on 127.0.0.1, started and stopped by its owner."""

    def __init__(
        self,
        port: int = 0,
        host: str = "127.0.0.1",
        log_path: Optional[Path] = None,
        serialized: bool = False,
    ):
        """`serialized`: one request at a time (tests/support/moto_serial.py says why)."""
        self.host = host
        self.serialized = serialized
        self.port = port or free_port(host)
        self.log_path = log_path
        self.process: Optional[subprocess.Popen[bytes]] = None

    @property
    def endpoint(self) -> str:
        return f"http://{self.host}:{self.port}"

    def env(self, region: str = DEFAULT_REGION) -> Dict[str, str]:
        """The environment any AWS client needs to talk to this server and nowhere else."""
        return {
            "AWS_ENDPOINT_URL": self.endpoint,
            "AWS_DEFAULT_REGION": region,
            "AWS_REGION": region,
            **DUMMY_CREDENTIALS,
            # Keep a developer's real config files and IMDS out of the picture.
            "AWS_CONFIG_FILE": os.devnull,
            "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
            "AWS_EC2_METADATA_DISABLED": "true",
        }

    def start(self, timeout: float = 30.0) -> MotoServer:
        if self.serialized:
            cmd = [sys.executable, "-m", "tests.support.moto_serial"]
        else:
            moto_server = Path(sys.executable).with_name("moto_server")
            cmd = [str(moto_server) if moto_server.exists() else "moto_server"]
        cmd += ["-H", self.host, "-p", str(self.port)]
        out = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL  # noqa: SIM115
        env = dict(os.environ)
        # ACM certificates issue immediately, so terraform's validation waits end at once.
        env.setdefault("MOTO_ACM_VALIDATION_WAIT", "0")
        self.process = subprocess.Popen(
            cmd,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
            cwd=Path(__file__).resolve().parents[2],  # the repo root, for `-m tests.support...`
        )
        self.wait_ready(timeout)
        return self

    def wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"moto_server exited with status {self.process.returncode}")
            try:
                with urllib.request.urlopen(f"{self.endpoint}/moto-api/", timeout=1):
                    return
            except (urllib.error.URLError, OSError):
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"moto_server did not answer on {self.endpoint} within {timeout}s")

    def reset(self) -> None:
        """Forget every resource in every region (moto's own reset API)."""
        request = urllib.request.Request(f"{self.endpoint}/moto-api/reset", method="POST")
        with urllib.request.urlopen(request, timeout=10):
            pass

    def stop(self) -> None:
        if self.process is not None:
            stop_group(self.process)
        self.process = None

    def __enter__(self) -> MotoServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _write_env_file(path: Path, env: Dict[str, str], pid: int) -> None:
    lines = [f"export {k}={v!r}" for k, v in env.items()] + [f"export LOCALAWS_PID={pid}"]
    tmp = path.with_suffix(".tmp")
    tmp.write_text("\n".join(lines) + "\n")
    tmp.replace(path)


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.support.localaws",
        description="Start or stop a moto server on 127.0.0.1 as a local AWS stand-in.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    start = sub.add_parser("start", help="start in the background and write an env file")
    start.add_argument("--port", type=int, default=0, help="port (default: a free one)")
    start.add_argument("--region", default=DEFAULT_REGION, help="AWS_DEFAULT_REGION to export")
    start.add_argument("--env-file", type=Path, required=True, help="where to write exports")
    start.add_argument("--log", type=Path, help="server log file")
    stop = sub.add_parser("stop", help="stop the server named in the env file")
    stop.add_argument("--env-file", type=Path, required=True)
    args = parser.parse_args(argv)

    if args.command == "start":
        server = MotoServer(port=args.port, log_path=args.log).start()
        assert server.process is not None
        args.env_file.parent.mkdir(parents=True, exist_ok=True)
        _write_env_file(args.env_file, server.env(args.region), server.process.pid)
        print(server.endpoint)
        return 0

    for line in args.env_file.read_text().splitlines():
        if line.startswith("export LOCALAWS_PID="):
            pid = int(line.split("=", 1)[1])
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, signal.SIGTERM)
    args.env_file.unlink(missing_ok=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
