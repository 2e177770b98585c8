"""The local environment as a new engineer starts it, on Docker Engine and on podman.

A non-root user (UID 4321) owns a fresh copy of the working tree (what `git clone` gives: tracked
and new files, nothing ignored, so no .env and no logs) and runs, with the real Compose v2:
- plain `docker compose up -d --build --wait` from docker/ (no make, no .env);
- the same from the repository root (its compose.yaml includes docker/compose.yaml), with
  docker/logs deleted beforehand, so the engine creates it as root;
- `make up` with docker/logs deleted beforehand;
- `docker compose run --rm tests` (the team's tests in the service image).
Each time: POST/GET on 127.0.0.1, then the log file is in the clone, the engineer's own and
removable by them without sudo, then `down`.
"""

from __future__ import annotations

import contextlib
import json
import os
import pwd
import re
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, Iterator, List, Optional

import pytest

from tests.docker.conftest import REPO, Images
from tests.docker.engine import Engine, http, run, unique
from tests.support.localaws import free_port
from tests.support.tools import require_tool

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def clone_working_tree(user: pwd.struct_passwd, dest: Path) -> Path:
    """What a clone of this working tree holds (uncommitted edits too), owned by ``user``."""
    listing = run(["git", "ls-files", "-z", "-co", "--exclude-standard"], cwd=REPO).stdout.split(
        "\0"
    )
    for name in filter(None, listing):
        source = REPO / name
        if not source.is_file():
            continue  # deleted in the working tree
        target = dest / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target)
    run(["chown", "-R", f"{user.pw_uid}:{user.pw_gid}", str(dest)])
    return dest


@dataclass
class Clone:
    user: pwd.struct_passwd
    engine: Engine
    root: Path
    images: Images
    project: str = field(default_factory=lambda: unique("sre-compose"))
    port: int = field(default_factory=free_port)
    dynamodb_port: int = field(default_factory=free_port)

    @property
    def docker_dir(self) -> Path:
        return self.root / "docker"

    @property
    def logs(self) -> Path:
        return self.docker_dir / "logs"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def env(self) -> Dict[str, str]:
        """The engineer's shell: their HOME (~/.docker has Compose), the engine's socket, and
        local base images instead of the registry's (nothing else differs from a laptop)."""
        return {
            "HOME": self.user.pw_dir,
            "USER": self.user.pw_name,
            "PATH": "/usr/local/bin:/usr/bin:/bin",
            "DOCKER_HOST": f"unix://{self.engine.socket}",
            "DOCKER_BUILDKIT": "0",
            "COMPOSE_BAKE": "false",
            "COMPOSE_PROJECT_NAME": self.project,
            "APP_PORT": str(self.port),
            "DYNAMODB_PORT": str(self.dynamodb_port),
            "BASE_IMAGE": self.images.base,
            "DYNAMODB_BASE_IMAGE": self.images.node_base,
            "APP_IMAGE": f"localhost/{self.project}-app:test",
            "DYNAMODB_IMAGE": f"localhost/{self.project}-dynamodb:test",
            "TESTS_IMAGE": f"localhost/{self.project}-tests:test",
        }

    def run(
        self, args: List[str], cwd: Optional[Path] = None, timeout: float = 900
    ) -> subprocess.CompletedProcess[str]:
        environment = [f"{key}={value}" for key, value in self.env().items()]
        return run(
            ["runuser", "-u", self.user.pw_name, "--", "env", "-i", *environment, *args],
            cwd=cwd or self.docker_dir,
            check=False,
            timeout=timeout,
        )

    def must(self, args: List[str], cwd: Optional[Path] = None, timeout: float = 900) -> str:
        started = time.monotonic()
        result = self.run(args, cwd, timeout)
        seconds = time.monotonic() - started
        print(f"[{self.engine.name}] {' '.join(args)} (in {cwd or self.docker_dir}): "
              f"{seconds:.1f}s, exit {result.returncode}")  # fmt: skip
        if result.returncode != 0:
            logs = self.run(["docker", "compose", "logs", "--no-color", "--tail", "50"])
            raise AssertionError(
                f"{' '.join(args)} failed ({result.returncode}):\n{result.stdout}\n"
                f"{result.stderr}\n--- compose logs ---\n{logs.stdout}{logs.stderr}"
            )
        return result.stdout + result.stderr

    def container(self, service: str) -> str:
        ids = self.engine.cli(
            "ps", "-q",
            "--filter", f"label=com.docker.compose.project={self.project}",
            "--filter", f"label=com.docker.compose.service={service}",
        ).stdout.split()  # fmt: skip
        assert len(ids) == 1, f"{service}: {ids}"
        return ids[0]

    def cleanup(self) -> None:
        self.run(["docker", "compose", "down", "--volumes", "--timeout", "2"])
        for container in self.engine.ids_of(f"com.docker.compose.project={self.project}"):
            self.engine.cli("rm", "-f", container, check=False)
        env = self.env()
        self.engine.remove_images(env["APP_IMAGE"], env["DYNAMODB_IMAGE"], env["TESTS_IMAGE"])
        shutil.rmtree(self.root, ignore_errors=True)


MakeClone = Callable[[], Clone]


@pytest.fixture
def make_clone(engine: Engine, images: Images, newcomer: pwd.struct_passwd) -> Iterator[MakeClone]:
    require_tool("runuser", "util-linux")
    require_tool("git")
    engine.give_socket_to(newcomer.pw_uid)
    clones: List[Clone] = []
    tickers = contextlib.ExitStack()

    def make() -> Clone:
        base = Path(newcomer.pw_dir) / "clones"
        base.mkdir(exist_ok=True)
        os.chown(base, newcomer.pw_uid, newcomer.pw_gid)
        root = clone_working_tree(newcomer, base / unique("sre-monorepo"))
        clone = Clone(newcomer, engine, root, images)
        clones.append(clone)
        tickers.enter_context(engine.ticker(f"com.docker.compose.project={clone.project}"))
        return clone

    with tickers:
        yield make
        for clone in clones:
            clone.cleanup()


def post_get_and_check_the_log(clone: Clone, user_id: str) -> None:
    body = json.dumps({"user_id": user_id, "name": "Grace", "email": f"{user_id}@example.com"})
    status, created = http("POST", f"{clone.url}/user", body.encode())
    assert status == 201, created
    status, fetched = http("GET", f"{clone.url}/user?user_id={user_id}")
    assert (status, json.loads(fetched)["email"]) == (200, f"{user_id}@example.com")
    log = clone.logs / "app.log"
    assert log.is_file(), f"no log in the clone: {sorted(p.name for p in clone.logs.iterdir())}"
    assert '"path":"/user"' in log.read_text()
    info = log.stat()
    assert (info.st_uid, info.st_gid) == (clone.user.pw_uid, clone.user.pw_gid)
    folder = clone.logs.stat()
    assert folder.st_uid == clone.user.pw_uid, "docker/logs is not the engineer's"
    # Readable and removable by the engineer, without sudo.
    assert clone.run(["cat", str(log)]).returncode == 0
    removed = clone.run(["rm", "-f", str(log)])
    assert removed.returncode == 0 and not log.exists(), removed.stderr


SERVICE_UIDS = (
    "import glob\n"
    "for status in glob.glob('/proc/[0-9]*/status'):\n"
    "    argv = open(status[:-6] + 'cmdline').read().split('\\0')\n"
    "    if argv[0].endswith('python') and argv[1:2] == ['app.py']:\n"
    "        print(open(status).read().split('Uid:')[1].split()[0])\n"
)


def service_uids(engine: Engine, container: str) -> List[str]:
    """Real UIDs of the processes running the service's app.py inside ``container``."""
    return engine.cli("exec", container, "python", "-c", SERVICE_UIDS).stdout.split()


def test_plain_compose_up_from_docker_dir_as_a_non_root_engineer(make_clone: MakeClone) -> None:
    clone: Clone = make_clone()
    assert not (clone.docker_dir / ".env").exists()
    clone.must(["docker", "compose", "up", "-d", "--build", "--wait"])
    post_get_and_check_the_log(clone, "grace")

    engine = clone.engine
    app = clone.container("app")
    inspect = engine.inspect(app)
    host = inspect["HostConfig"]
    assert isinstance(host, dict)
    assert host["ReadonlyRootfs"] is True and host["Init"] is True
    assert [b["HostIp"] for b in host["PortBindings"]["5000/tcp"]] == ["127.0.0.1"]
    # PID 1 is the engine's init (init: true); the service is the process running app.py.
    assert service_uids(engine, app) == [str(clone.user.pw_uid)], "the service runs as the engineer"

    # The local DynamoDB keeps its data across a restart and across `down` without -v.
    clone.must(["docker", "compose", "restart", "dynamodb"])
    clone.must(["docker", "compose", "up", "-d", "--wait"])
    assert http("GET", f"{clone.url}/user?user_id=grace")[0] == 200
    clone.must(["docker", "compose", "down"])
    assert engine.ids_of(f"com.docker.compose.project={clone.project}") == []
    clone.must(["docker", "compose", "up", "-d", "--wait"])
    status_code, body = http("GET", f"{clone.url}/user?user_id=grace")
    assert status_code == 200, body

    # Quick stop: SIGTERM reaches the service through the init, no 10 s SIGKILL.
    started = time.monotonic()
    clone.must(["docker", "compose", "stop", "--timeout", "10", "app"])
    assert time.monotonic() - started < 5
    exit_code = engine.cli("inspect", "--format", "{{.State.ExitCode}}", app, check=False)
    clone.must(["docker", "compose", "down"])
    print(f"[{engine.name}] app exit code after stop: {exit_code.stdout.strip()}")


def test_compose_up_from_the_repo_root_with_the_log_folder_missing(make_clone: MakeClone) -> None:
    clone: Clone = make_clone()
    shutil.rmtree(clone.logs)
    clone.must(["docker", "compose", "up", "-d", "--build", "--wait"], cwd=clone.root)
    post_get_and_check_the_log(clone, "root-start")
    clone.must(["docker", "compose", "down"], cwd=clone.root)
    # The folder the engine made as root is the engineer's now: they can delete it.
    assert clone.run(["rm", "-r", str(clone.logs)]).returncode == 0


def test_make_up_with_the_log_folder_missing(make_clone: MakeClone) -> None:
    require_tool("make")
    clone: Clone = make_clone()
    shutil.rmtree(clone.logs)
    output = clone.must(["make", "up"])
    assert f"http://127.0.0.1:{clone.port}/healthz" in output
    post_get_and_check_the_log(clone, "make-start")
    clone.must(["make", "down"])


@pytest.mark.timeout(1800)  # builds the test image (pip) and runs the service's suite in it
def test_the_teams_tests_run_inside_the_service_image(make_clone: MakeClone) -> None:
    clone: Clone = make_clone()
    output = clone.must(
        ["docker", "compose", "--profile", "tests", "run", "--rm", "--build", "tests"],
        timeout=1500,
    )
    # pytest's own summary line (Compose may print warnings after it on stderr).
    summary = [line for line in output.splitlines() if re.match(r"^=+ .* in [\d.]+s", line)]
    assert summary, output[-3000:]
    tail = summary[-1]
    assert " passed" in tail and "failed" not in tail and "error" not in tail, output[-3000:]
    python = clone.run(
        ["docker", "compose", "--profile", "tests", "run", "--rm", "tests",
         "python", "-c", "import sys; print(sys.version)"]
    )  # fmt: skip
    assert python.stdout.startswith("3.8.18"), python.stdout + python.stderr


def test_watch_syncs_an_edit_into_the_running_service_without_a_rebuild(
    make_clone: MakeClone,
) -> None:
    clone: Clone = make_clone()
    # Up with the development override, as `make watch` does: it is what makes the root file
    # system writable for the sync (the engine's copy API refuses a read-only one).
    clone.must(
        ["docker", "compose", "-f", "compose.yaml", "-f", "compose.dev.yaml", "up", "-d",
         "--build", "--wait"]
    )  # fmt: skip
    image_before = clone.engine.inspect(clone.container("app"))["Image"]
    environment = [f"{key}={value}" for key, value in clone.env().items()]
    watch = subprocess.Popen(
        ["runuser", "-u", clone.user.pw_name, "--", "env", "-i", *environment,
         "docker", "compose", "-f", "compose.yaml", "-f", "compose.dev.yaml", "watch",
         "--no-up"],
        cwd=clone.docker_dir, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        time.sleep(5)  # let watch start its file watcher
        spec = clone.docker_dir / "app" / "openapi.json"
        document = json.loads(spec.read_text())
        document["info"]["title"] = "edited while watching"
        spec.write_text(json.dumps(document))  # in place: the file stays the engineer's
        deadline = time.monotonic() + 90
        title = ""
        while time.monotonic() < deadline and title != "edited while watching":
            time.sleep(1)
            try:
                status, body = http("GET", f"{clone.url}/openapi.json", timeout=2)
                title = json.loads(body)["info"]["title"] if status == 200 else ""
            except (OSError, ValueError):
                pass
    finally:
        watch.terminate()
        output = watch.communicate(timeout=30)[0]
    assert title == "edited while watching", output[-3000:]
    assert clone.engine.inspect(clone.container("app"))["Image"] == image_before, "rebuilt"
    clone.must(["docker", "compose", "down"])
