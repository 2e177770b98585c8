"""A second, stricter DynamoDB for the store-facing tests: dynalite (npm) on a free loopback port.

moto accepts requests real DynamoDB refuses (empty or oversized keys, any ExclusiveStartKey);
dynalite implements DynamoDB's own validation, so a request DynamoDB would reject fails here too.
It runs in memory on Node (20 on our machines), installed by this script into the ignored cache:

    python -m tests.support.dynalite install        # npm install dynalite@4.0.0 into .cache/
    python -m tests.support.dynalite run --port 4567 # serve until Ctrl-C
"""

from __future__ import annotations

import argparse
import fcntl
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Dict, Optional

from tests.support.localaws import DEFAULT_REGION, DUMMY_CREDENTIALS, free_port, stop_group

VERSION = "4.0.0"
REPO = Path(__file__).resolve().parents[2]
PREFIX = REPO / ".cache" / "dynalite"
BINARY = PREFIX / "node_modules" / ".bin" / "dynalite"


class DynaliteMissing(RuntimeError):
    """node/npm are absent, or npm could not install dynalite."""


def install(prefix: Path = PREFIX) -> Path:
    """Install dynalite VERSION under ``prefix`` once (several sessions may ask at once)."""
    binary = prefix / "node_modules" / ".bin" / "dynalite"
    package = prefix / "node_modules" / "dynalite" / "package.json"
    if binary.exists() and f'"version": "{VERSION}"' in package.read_text():
        return binary
    npm = shutil.which("npm")
    if npm is None or shutil.which("node") is None:
        raise DynaliteMissing(
            "node and npm are needed for dynalite (Node 20: apt-get install nodejs)"
        )
    prefix.mkdir(parents=True, exist_ok=True)
    with open(prefix / ".install.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if binary.exists() and f'"version": "{VERSION}"' in package.read_text():
            return binary
        print(f"[dynalite] npm install dynalite@{VERSION} into {prefix}", file=sys.stderr)
        result = subprocess.run(
            [npm, "install", "--prefix", str(prefix), "--no-audit", "--no-fund",
             "--loglevel=error", "--save-exact", f"dynalite@{VERSION}"],
            capture_output=True, text=True, timeout=600, check=False,
        )  # fmt: skip
        if result.returncode != 0 or not binary.exists():
            raise DynaliteMissing(f"npm install dynalite@{VERSION} failed: {result.stderr[-2000:]}")
    return binary


class Dynalite:
    """A dynalite process on 127.0.0.1 (in memory), started and stopped by its owner."""

    def __init__(self, port: int = 0, host: str = "127.0.0.1") -> None:
        self.host = host
        self.port = port or free_port(host)
        self.process: Optional[subprocess.Popen[bytes]] = None

    @property
    def endpoint(self) -> str:
        return f"http://{self.host}:{self.port}"

    def env(self, region: str = DEFAULT_REGION) -> Dict[str, str]:
        """The standard AWS environment pointing at this server (same shape as MotoServer's)."""
        return {
            "AWS_ENDPOINT_URL": self.endpoint,
            "AWS_DEFAULT_REGION": region,
            "AWS_REGION": region,
            **DUMMY_CREDENTIALS,
            "AWS_CONFIG_FILE": os.devnull,
            "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
            "AWS_EC2_METADATA_DISABLED": "true",
        }

    def start(self, timeout: float = 30.0) -> Dynalite:
        binary = install()
        # Tables turn ACTIVE at once: DynamoDB takes seconds, which only slows the tests down.
        cmd = [str(binary), "--host", self.host, "--port", str(self.port), "--createTableMs", "0",
               "--deleteTableMs", "0", "--updateTableMs", "0"]  # fmt: skip
        self.process = subprocess.Popen(
            cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"dynalite exited with status {self.process.returncode}")
            try:
                socket.create_connection((self.host, self.port), timeout=1).close()
                return self
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"dynalite did not listen on {self.endpoint} within {timeout}s")

    def reset(self) -> None:
        """Delete every table (dynalite keeps state in memory for its lifetime)."""
        import boto3  # only the harness needs it; keeps `install` usable without boto3

        client = boto3.client(
            "dynamodb",
            endpoint_url=self.endpoint,
            region_name=DEFAULT_REGION,
            aws_access_key_id=DUMMY_CREDENTIALS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=DUMMY_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        )
        for name in client.list_tables().get("TableNames", []):
            client.delete_table(TableName=name)

    def stop(self) -> None:
        if self.process is not None:
            stop_group(self.process)
        self.process = None

    def __enter__(self) -> Dynalite:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def main(argv: Optional[list] = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.support.dynalite",
        description=f"Install (npm, into {PREFIX}) or run dynalite {VERSION}, a strict DynamoDB.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("install", help="npm install dynalite into the ignored cache (idempotent)")
    run = sub.add_parser("run", help="serve on 127.0.0.1 until interrupted")
    run.add_argument("--port", type=int, default=0, help="port (default: a free one)")
    args = parser.parse_args(argv)
    try:
        if args.command == "install":
            print(install())
            return 0
        with Dynalite(port=args.port) as server:
            print(server.endpoint, flush=True)
            signal.sigwait({signal.SIGINT, signal.SIGTERM})
    except DynaliteMissing as exc:
        print(f"dynalite: {exc}", file=sys.stderr)
        return 3
    return 0


if __name__ == "__main__":
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
    sys.exit(main())
