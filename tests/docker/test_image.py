"""docker/Dockerfile end to end with podman: the image run the way the README runs it.

The service container runs with a read-only root filesystem, a tmpfs /tmp and ./logs bind-mounted,
next to the DynamoDB stand-in on a private network. It runs as UID 12345 (a stand-in for "the
engineer's UID": the tests run as root) so the log file's host owner proves the UID mapping.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, List

import pytest

from tests.docker import engine
from tests.docker.conftest import Images
from tests.support.localaws import free_port

pytestmark = [pytest.mark.integration, pytest.mark.slow]

HOST_UID = 12345
DYNAMODB_ENV = {
    "AWS_ENDPOINT_URL": "http://dynamodb:8000",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_ACCESS_KEY_ID": "local",
    "AWS_SECRET_ACCESS_KEY": "local",
    "USERS_TABLE": "users",
}


@dataclass
class Stack:
    network: str
    standin: str
    app: str
    url: str
    logs: Path


def app_run_args(images: Images, network: str, logs: Path, port: int) -> List[str]:
    args = [
        "run", "-d", "--network", network, "--read-only", "--tmpfs", "/tmp",
        "--user", f"{HOST_UID}:{HOST_UID}",
        "-v", f"{logs}:/var/log/app",
        "-p", f"127.0.0.1:{port}:5000",
    ]  # fmt: skip
    for key, value in DYNAMODB_ENV.items():
        args += ["-e", f"{key}={value}"]
    return args


def start_app(images: Images, network: str, logs: Path) -> tuple[str, str]:
    name = engine.unique("sre-docker-test-app")
    port = free_port()
    engine.podman(*app_run_args(images, network, logs, port), "--name", name, images.app)
    url = f"http://127.0.0.1:{port}"
    engine.wait_http(f"{url}/healthz")
    return name, url


@pytest.fixture(scope="module")
def stack(images: Images, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    network = engine.unique("sre-docker-test-net")
    standin = engine.unique("sre-docker-test-dynamodb")
    logs = tmp_path_factory.mktemp("logs")
    os.chown(logs, HOST_UID, HOST_UID)
    containers: List[str] = []
    engine.podman("network", "create", network)
    try:
        engine.podman(
            "run", "-d", "--name", standin, "--network", network, "--network-alias", "dynamodb",
            "--read-only", "--tmpfs", "/tmp", images.standin,
        )  # fmt: skip
        containers.append(standin)
        engine.wait_healthy(standin)
        app, url = start_app(images, network, logs)
        containers.append(app)
        yield Stack(network=network, standin=standin, app=app, url=url, logs=logs)
    finally:
        for container in containers:
            engine.podman("rm", "-f", "-t", "2", container, check=False)
        engine.podman("network", "rm", "-f", network, check=False)


def test_post_then_get_user_through_the_published_port(stack: Stack) -> None:
    body = json.dumps({"user_id": "ada", "name": "Ada", "email": "ada@example.com"}).encode()
    status, created = engine.http("POST", f"{stack.url}/user", body)
    assert status == 201, created
    status, fetched = engine.http("GET", f"{stack.url}/user?user_id=ada")
    assert status == 200
    assert json.loads(fetched) == {"user_id": "ada", "name": "Ada", "email": "ada@example.com"}
    assert engine.http("GET", f"{stack.url}/user?user_id=nobody")[0] == 404
    # Ready means the table the stand-in created is reachable from the service.
    assert engine.http("GET", f"{stack.url}/readyz")[0] == 200


def test_image_healthcheck_reports_healthy(stack: Stack) -> None:
    assert engine.health(stack.app) == "healthy"


def test_log_file_lands_in_host_folder_owned_by_the_container_user(stack: Stack) -> None:
    engine.http("GET", f"{stack.url}/user?user_id=for-the-log")
    log = stack.logs / "app.log"
    assert log.is_file(), sorted(p.name for p in stack.logs.iterdir())
    assert (log.stat().st_uid, log.stat().st_gid) == (HOST_UID, HOST_UID)
    lines = [json.loads(line) for line in log.read_text().splitlines()]
    assert any(entry.get("path") == "/user" for entry in lines)


def test_service_process_is_not_root(stack: Stack) -> None:
    assert engine.podman("exec", stack.app, "id", "-u").stdout.strip() == str(HOST_UID)


def test_root_filesystem_is_read_only_but_tmp_is_writable(stack: Stack) -> None:
    assert engine.podman("exec", stack.app, "touch", "/app/x", check=False).returncode != 0
    assert engine.podman("exec", stack.app, "touch", "/tmp/x", check=False).returncode == 0
    inspect = json.loads(engine.podman("inspect", stack.app).stdout)[0]
    assert inspect["HostConfig"]["ReadonlyRootfs"] is True


def test_stops_cleanly_within_two_seconds_on_sigterm(
    stack: Stack, images: Images, tmp_path: Path
) -> None:
    logs = tmp_path / "logs"
    logs.mkdir()
    os.chown(logs, HOST_UID, HOST_UID)
    name, _ = start_app(images, stack.network, logs)
    try:
        seconds = engine.timed_stop(name, grace=10)
        exit_code = engine.podman("inspect", "--format", "{{.State.ExitCode}}", name).stdout
    finally:
        engine.podman("rm", "-f", name, check=False)
    print(f"podman stop took {seconds:.2f}s")
    # SIGKILL would come only after 10 s and exit 137: the service shut down on SIGTERM itself.
    assert seconds < 2, f"stop took {seconds:.1f}s"
    assert exit_code.strip() == "0"


def test_image_defaults_to_fixed_non_root_user_and_port(images: Images) -> None:
    image = json.loads(engine.podman("image", "inspect", images.app).stdout)[0]
    config = image["Config"]
    assert config["User"] == "10001:10001"
    assert "5000/tcp" in config["ExposedPorts"]
    # Kept only in the docker format (`podman build --format docker`); podman lists it on top.
    assert image["Healthcheck"]["Test"] == ["CMD", "python", "/opt/healthcheck.py"]
    assert config["Cmd"] == ["python", "app.py"]
    assert "org.opencontainers.image.source" in config["Labels"]
    # Without --user the image's own user applies.
    uid = engine.podman("run", "--rm", images.app, "id", "-u").stdout.strip()
    assert uid == "10001"
