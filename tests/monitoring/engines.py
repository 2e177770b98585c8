"""Real engines for the monitoring tests: a throwaway PostgreSQL 15, postgres_exporter,
blackbox_exporter and Prometheus, each a child process bound to 127.0.0.1 and stopped by its pid.

PostgreSQL refuses to run as root, so when the tests run as root (CI) it runs as ``nobody`` in a
data directory that user owns; the other servers run as the test's own user.
"""

from __future__ import annotations

import json
import os
import pwd
import shutil
import subprocess
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Sequence, TypeVar

from tests.support.localaws import free_port

PG_USER = "nobody"
S = TypeVar("S", bound="Server")


def _wait(check: Callable[[], bool], what: str, proc: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited {proc.returncode}:\n{log.read_text()[-3000:]}")
        try:
            if check():
                return
        except (OSError, urllib.error.URLError):
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{what} did not become ready in 30 s:\n{log.read_text()[-3000:]}")


def http_get(url: str, timeout: float = 5) -> str:
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return str(response.read().decode())


def stop(proc: Optional[subprocess.Popen]) -> None:
    if proc is None or proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


class Postgres:
    """initdb + postgres on a free loopback port, max_connections kept small on purpose."""

    def __init__(self, binaries: Dict[str, str], max_connections: int = 20) -> None:
        self.bin = binaries
        self.port = free_port()
        # Not under pytest's tmp_path: its parent is 0700 root, which nobody cannot traverse.
        self.root = Path(tempfile.mkdtemp(prefix="sre-pg-"))
        self.data = self.root / "data"
        self.log = self.root / "postgres.log"
        self.max_connections = max_connections
        self.proc: Optional[subprocess.Popen] = None
        self.as_root = os.geteuid() == 0

    def _cmd(self, args: Sequence[str]) -> List[str]:
        if self.as_root:
            return ["setpriv", f"--reuid={PG_USER}", "--regid=nogroup", "--clear-groups", *args]
        return list(args)

    def start(self) -> Postgres:
        if self.as_root:
            entry = pwd.getpwnam(PG_USER)
            os.chown(self.root, entry.pw_uid, entry.pw_gid)
        self.root.chmod(0o700)
        init = subprocess.run(
            self._cmd(
                [
                    self.bin["initdb"],
                    "-D",
                    str(self.data),
                    "-U",
                    "postgres",
                    "--auth=trust",
                    "-E",
                    "UTF8",
                    "--no-instructions",
                ]
            ),
            capture_output=True,
            text=True,
            check=False,
            env={**os.environ, "LC_ALL": "C"},
        )
        if init.returncode != 0:
            raise RuntimeError(f"initdb failed: {init.stderr}")
        log = self.log.open("w")
        if self.as_root:
            os.chown(self.log, pwd.getpwnam(PG_USER).pw_uid, -1)
        self.proc = subprocess.Popen(
            self._cmd(
                [
                    self.bin["postgres"],
                    "-D",
                    str(self.data),
                    "-c",
                    "listen_addresses=127.0.0.1",
                    "-c",
                    f"port={self.port}",
                    "-c",
                    f"unix_socket_directories={self.root}",
                    "-c",
                    f"max_connections={self.max_connections}",
                    "-c",
                    "superuser_reserved_connections=2",
                    "-c",
                    "fsync=off",
                ]
            ),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        _wait(self._ready, "postgres", self.proc, self.log)
        return self

    def _ready(self) -> bool:
        return self.psql("SELECT 1").strip() == "1"

    @property
    def dsn(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres?sslmode=disable"

    def psql(self, sql: str) -> str:
        result = subprocess.run(
            [
                self.bin["psql"],
                "-XAtq",
                "-h",
                "127.0.0.1",
                "-p",
                str(self.port),
                "-U",
                "postgres",
                "-d",
                "postgres",
                "-v",
                "ON_ERROR_STOP=1",
                "-c",
                sql,
            ],
            capture_output=True,
            text=True,
            check=False,
            timeout=30,
        )
        if result.returncode != 0:
            raise RuntimeError(f"psql failed: {result.stderr}")
        return result.stdout

    def session(self) -> subprocess.Popen:
        """An interactive psql session held open (for locks, long transactions, connections)."""
        return subprocess.Popen(
            [
                self.bin["psql"],
                "-XAtq",
                "-h",
                "127.0.0.1",
                "-p",
                str(self.port),
                "-U",
                "postgres",
                "-d",
                "postgres",
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            text=True,
        )

    def stop(self) -> None:
        stop(self.proc)
        shutil.rmtree(self.root, ignore_errors=True)


class Server:
    """A generic exporter/server child process with a readiness URL."""

    def __init__(
        self,
        name: str,
        args: List[str],
        ready_path: str,
        workdir: Path,
        env: Optional[Dict[str, str]] = None,
        port: int = 0,
    ) -> None:
        self.name = name
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.args = [a.replace("{port}", str(self.port)) for a in args]
        self.ready_path = ready_path
        self.log = workdir / f"{name}.log"
        self.env = env
        self.proc: Optional[subprocess.Popen] = None

    def start(self: S) -> S:
        log = self.log.open("w")
        self.proc = subprocess.Popen(self.args, stdout=log, stderr=subprocess.STDOUT, env=self.env)
        _wait(lambda: bool(http_get(self.url + self.ready_path)), self.name, self.proc, self.log)
        return self

    def get(self, path: str) -> str:
        return http_get(self.url + path)

    def stop(self) -> None:
        stop(self.proc)


class Prometheus(Server):
    def query(self, expr: str) -> List[Dict[str, Any]]:
        data = json.loads(self.get("/api/v1/query?" + urllib.parse.urlencode({"query": expr})))
        assert data["status"] == "success", data
        result: List[Dict[str, Any]] = data["data"]["result"]
        return result

    def alerts(self) -> List[Dict[str, Any]]:
        data = json.loads(self.get("/api/v1/alerts"))
        alerts: List[Dict[str, Any]] = data["data"]["alerts"]
        return alerts

    def rule_health(self) -> List[str]:
        """Rules whose last evaluation failed: 'name: error'."""
        data = json.loads(self.get("/api/v1/rules"))
        bad = []
        for group in data["data"]["groups"]:
            for rule in group["rules"]:
                if rule.get("health") == "err":
                    bad.append(f"{rule['name']}: {rule.get('lastError')}")
        return bad

    def wait_for_alert(
        self,
        name: str,
        states: Sequence[str] = ("pending", "firing"),
        timeout: float = 60,
        **labels: str,
    ) -> Dict[str, Any]:
        deadline = time.monotonic() + timeout
        seen: List[Dict[str, Any]] = []
        while time.monotonic() < deadline:
            seen = self.alerts()
            for alert in seen:
                if (
                    alert["labels"].get("alertname") == name
                    and alert["state"] in states
                    and all(alert["labels"].get(k) == v for k, v in labels.items())
                ):
                    return alert
            time.sleep(0.5)
        names = sorted({f"{a['labels']['alertname']}({a['state']})" for a in seen})
        raise AssertionError(f"{name}{labels} not {states} within {timeout}s; alerts: {names}")
