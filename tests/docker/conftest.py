"""Session fixtures for the docker/ tests: a local base image and the two images built once."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import pytest

from tests.docker import engine
from tests.support.tools import require_tool

DOCKER_DIR = Path(__file__).resolve().parents[2] / "docker"


@dataclass
class Images:
    base: str
    app: str
    standin: str
    app_build_log: str


@pytest.fixture(scope="session")
def docker_dir() -> Path:
    return DOCKER_DIR


@pytest.fixture(scope="session")
def test_base(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A local stand-in for python:*-slim-bookworm (no registry here), removed at the end."""
    require_tool("podman", "apt-get install podman runc; see tests/support/system-deps.sh")
    require_tool("debootstrap", "apt-get install debootstrap")
    tag = f"localhost/{engine.unique('sre-docker-test-base')}:bookworm"
    engine.make_test_base(tag, tmp_path_factory.mktemp("test-base"))
    base_id = engine.image_id(tag)
    try:
        yield tag
    finally:
        engine.remove_descendants(base_id)
        engine.remove_images(tag)


@pytest.fixture(scope="session")
def images(test_base: str) -> Iterator[Images]:
    """docker/Dockerfile and docker/dynamodb/Dockerfile built once on the local base."""
    suffix = engine.unique("t")
    app = f"localhost/sre-docker-test-app:{suffix}"
    standin = f"localhost/sre-docker-test-dynamodb:{suffix}"
    try:
        log = engine.build(DOCKER_DIR, app, {"BASE_IMAGE": test_base})
        engine.build(DOCKER_DIR / "dynamodb", standin, {"BASE_IMAGE": test_base})
        yield Images(base=test_base, app=app, standin=standin, app_build_log=log)
    finally:
        engine.remove_images(app, standin)
