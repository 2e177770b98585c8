"""docker/Dockerfile and docker/dynamodb/Dockerfile end to end, on Docker Engine and on podman.

The images are built once with podman on local bases (the service's carries the machine's real
CPython 3.8.18) and loaded into the private dockerd. The service runs the way compose runs it:
started as root with every capability dropped but CHOWN/SETUID/SETGID/KILL, read-only root, tmpfs
/tmp, a logs folder bind-mounted that belongs to UID 12345 (a stand-in for "the engineer"; the
tests run as root), so the entrypoint must become 12345 and the host must see 12345's files.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, Iterator, List

import boto3
import pytest
from botocore.exceptions import ClientError

from tests.docker.conftest import Images
from tests.docker.engine import Engine, http, unique, wait_http
from tests.support.localaws import free_port

pytestmark = [pytest.mark.integration, pytest.mark.slow]

HOST_UID = 12345
DYNAMODB_ENV = {
    "AWS_ENDPOINT_URL": "http://dynamodb:8000",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_ACCESS_KEY_ID": "local",
    "AWS_SECRET_ACCESS_KEY": "local",
    "USERS_TABLE": "users",
    "ENSURE_TABLE": "users",
    "LOG_FILE_REQUIRED": "true",
}
AS_COMPOSE = [
    "--user", "0", "--cap-drop", "ALL",
    "--cap-add", "CHOWN", "--cap-add", "SETUID", "--cap-add", "SETGID", "--cap-add", "KILL",
    "--security-opt", "no-new-privileges",
]  # fmt: skip


@dataclass
class Stack:
    engine: Engine
    network: str
    standin: str
    standin_port: int
    volume: str
    app: str
    url: str
    logs: Path


def app_args(network: str, logs: Path, port: int, env: Dict[str, str]) -> List[str]:
    args = [
        "run", "-d", "--network", network, "--read-only", "--tmpfs", "/tmp",
        "-v", f"{logs}:/var/log/app", "-p", f"127.0.0.1:{port}:5000", *AS_COMPOSE,
    ]  # fmt: skip
    for key, value in env.items():
        args += ["-e", f"{key}={value}"]
    return args


def start_app(engine: Engine, images: Images, network: str, logs: Path) -> tuple[str, str]:
    name = unique("sre-docker-test-app")
    port = free_port()
    engine.cli(*app_args(network, logs, port, DYNAMODB_ENV), "--name", name, images.app)
    url = f"http://127.0.0.1:{port}"
    # Ready, not only alive: /readyz answers 200 once the users table is reachable.
    try:
        wait_http(f"{url}/readyz", timeout=90)
    except AssertionError:
        logs_out = engine.cli("logs", name, check=False)
        raise AssertionError(f"{name} never ready:\n{logs_out.stdout}{logs_out.stderr}") from None
    return name, url


def host_logs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    logs = tmp_path_factory.mktemp("logs")
    os.chown(logs, HOST_UID, HOST_UID)
    return logs


def dynamodb_client(port: int) -> Any:
    return boto3.client(
        "dynamodb",
        endpoint_url=f"http://127.0.0.1:{port}",
        region_name="us-east-1",
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )


@pytest.fixture(scope="module")
def stack(
    engine: Engine, images: Images, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Stack]:
    network = unique("sre-docker-test-net")
    standin = unique("sre-docker-test-dynamodb")
    volume = unique("sre-docker-test-data")
    standin_port = free_port()
    logs = host_logs(tmp_path_factory)
    containers: List[str] = []
    engine.cli("network", "create", network)
    try:
        engine.cli(
            "run", "-d", "--name", standin, "--network", network, "--network-alias", "dynamodb",
            "--read-only", "--tmpfs", "/tmp", "--init", "-v", f"{volume}:/data",
            "-p", f"127.0.0.1:{standin_port}:8000", images.standin,
        )  # fmt: skip
        containers.append(standin)
        # Healthy means the stand-in answered a DynamoDB call (ListTables), not just a port.
        engine.wait_healthy(standin)
        app, url = start_app(engine, images, network, logs)
        containers.append(app)
        yield Stack(engine, network, standin, standin_port, volume, app, url, logs)
    finally:
        for container in containers:
            engine.cli("rm", "-f", container, check=False)
        engine.cli("volume", "rm", "-f", volume, check=False)
        engine.cli("network", "rm", network, check=False)


def test_post_then_get_user_through_the_published_port(stack: Stack) -> None:
    body = json.dumps({"user_id": "ada", "name": "Ada", "email": "ada@example.com"}).encode()
    status, created = http("POST", f"{stack.url}/user", body)
    assert status == 201, created
    status, fetched = http("GET", f"{stack.url}/user?user_id=ada")
    assert status == 200
    assert json.loads(fetched) == {"user_id": "ada", "name": "Ada", "email": "ada@example.com"}
    assert http("GET", f"{stack.url}/user?user_id=nobody")[0] == 404


def test_image_healthcheck_reports_healthy(stack: Stack) -> None:
    stack.engine.wait_healthy(stack.app, timeout=60)


def test_log_file_lands_in_host_folder_owned_by_its_owner(stack: Stack) -> None:
    http("GET", f"{stack.url}/user?user_id=for-the-log")
    log = stack.logs / "app.log"
    assert log.is_file(), sorted(p.name for p in stack.logs.iterdir())
    assert (log.stat().st_uid, log.stat().st_gid) == (HOST_UID, HOST_UID)
    lines = [json.loads(line) for line in log.read_text().splitlines()]
    assert any(entry.get("path") == "/user" for entry in lines)


def test_service_runs_as_the_log_folder_owner_not_root(stack: Stack) -> None:
    # `exec` runs as the container's configured user (root here); PID 1 is the service itself.
    status = stack.engine.cli("exec", stack.app, "cat", "/proc/1/status").stdout
    uids = next(line for line in status.splitlines() if line.startswith("Uid:")).split()[1:]
    assert uids == [str(HOST_UID)] * 4
    caps = next(line for line in status.splitlines() if line.startswith("CapEff:")).split()[1]
    assert int(caps, 16) == 0, "the service kept capabilities after dropping root"


def test_root_filesystem_is_read_only_but_tmp_is_writable(stack: Stack) -> None:
    cli = stack.engine.cli
    assert cli("exec", stack.app, "touch", "/app/x", check=False).returncode != 0
    assert cli("exec", stack.app, "touch", "/tmp/x", check=False).returncode == 0
    assert stack.engine.inspect(stack.app)["HostConfig"]["ReadonlyRootfs"] is True  # type: ignore[index]


def test_image_runs_the_real_cpython_3_8_18_without_pip(stack: Stack) -> None:
    cli = stack.engine.cli
    version = cli("exec", stack.app, "python", "-c", "import sys; print(sys.version)").stdout
    assert version.startswith("3.8.18 "), version
    for module in ("pip", "setuptools"):
        probe = cli("exec", stack.app, "python", "-c", f"import {module}", check=False)
        assert probe.returncode != 0, f"{module} is still in the runtime image"


def test_stand_in_rejects_what_dynamodb_rejects(stack: Stack) -> None:
    dynamodb = dynamodb_client(stack.standin_port)
    with pytest.raises(ClientError) as empty_key:
        dynamodb.put_item(TableName="users", Item={"user_id": {"S": ""}})
    assert empty_key.value.response["Error"]["Code"] == "ValidationException"
    with pytest.raises(ClientError) as bad_start:
        dynamodb.scan(TableName="users", ExclusiveStartKey={"nope": {"S": "x"}})
    assert bad_start.value.response["Error"]["Code"] == "ValidationException"


def test_stand_in_keeps_its_data_across_a_restart(stack: Stack) -> None:
    dynamodb = dynamodb_client(stack.standin_port)
    dynamodb.put_item(TableName="users", Item={"user_id": {"S": "kept"}, "name": {"S": "K"}})
    stack.engine.cli("restart", "-t", "5", stack.standin)
    stack.engine.wait_healthy(stack.standin)
    item = dynamodb.get_item(TableName="users", Key={"user_id": {"S": "kept"}}).get("Item")
    assert item == {"user_id": {"S": "kept"}, "name": {"S": "K"}}


def test_unwritable_log_folder_fails_loudly(stack: Stack, images: Images, tmp_path: Path) -> None:
    logs = tmp_path / "root-owned"
    logs.mkdir(mode=0o755)  # root's, and the service runs as 12345: it cannot write there
    name = unique("sre-docker-test-nolog")
    env = dict(DYNAMODB_ENV)
    args = app_args(stack.network, logs, free_port(), env)
    # As `docker run --user` would (no root at start, so nothing to adopt).
    args = [a for a in args if a not in AS_COMPOSE] + ["--user", f"{HOST_UID}:{HOST_UID}"]
    try:
        stack.engine.cli(*args, "--name", name, images.app)
        deadline = time.monotonic() + 60
        state: Dict[str, object] = {}
        while time.monotonic() < deadline:
            state = stack.engine.inspect(name)["State"]  # type: ignore[assignment]
            if state.get("Status") == "exited":
                break
            time.sleep(0.5)
        output = stack.engine.cli("logs", name, check=False)
    finally:
        stack.engine.cli("rm", "-f", name, check=False)
    assert state.get("ExitCode") == 78, state
    message = output.stdout + output.stderr
    assert "cannot write the log file /var/log/app/app.log" in message, message
    assert "Permission denied" in message


def test_stops_cleanly_within_two_seconds_on_sigterm(
    stack: Stack, images: Images, tmp_path_factory: pytest.TempPathFactory
) -> None:
    name, _ = start_app(stack.engine, images, stack.network, host_logs(tmp_path_factory))
    try:
        seconds = stack.engine.timed_stop(name, grace=10)
        exit_code = stack.engine.cli("inspect", "--format", "{{.State.ExitCode}}", name).stdout
    finally:
        stack.engine.cli("rm", "-f", name, check=False)
    print(f"{stack.engine.name} stop took {seconds:.2f}s")
    # SIGKILL would come only after 10 s and exit 137: the service shut down on SIGTERM itself.
    assert seconds < 2, f"stop took {seconds:.1f}s"
    assert exit_code.strip() == "0"


def test_image_defaults_to_fixed_non_root_user_and_no_volume(stack: Stack, images: Images) -> None:
    image = json.loads(stack.engine.cli("image", "inspect", images.app).stdout)[0]
    config = image["Config"]
    assert config["User"] == "10001:10001"
    assert "5000/tcp" in config["ExposedPorts"]
    assert not config.get("Volumes"), "an anonymous VOLUME hides /var/log/app from -v users"
    assert stack.engine.image_healthcheck(images.app) == ["CMD", "python", "/opt/healthcheck.py"]
    assert config["Entrypoint"] == ["python", "/opt/entrypoint.py"]
    assert config["Cmd"] == ["python", "app.py"]
    assert "org.opencontainers.image.source" in config["Labels"]
    # Without --user the image's own user applies, and the check passes through to the command.
    uid = stack.engine.cli("run", "--rm", images.app, "id", "-u").stdout.strip()
    assert uid == "10001"
