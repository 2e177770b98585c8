"""A change to the service's source alone must not reinstall its dependencies.

The Dockerfile copies requirements.txt and runs pip before it copies the source, so after an edit
to app.py the builder's pip layer comes from the cache and only the source layer is rebuilt.
"""

from __future__ import annotations

import re
import shutil
import time
from pathlib import Path
from typing import Dict

import pytest

from tests.docker import engine
from tests.docker.conftest import Images

pytestmark = [pytest.mark.integration, pytest.mark.slow]

STEP = re.compile(r"^\[\d+/\d+\] STEP \d+/\d+: (?P<instruction>.*)$")


def cache_hits(build_output: str) -> Dict[str, bool]:
    """Map each build step's instruction to whether podman reused a cached layer for it."""
    steps: Dict[str, bool] = {}
    current = None
    for line in build_output.splitlines():
        match = STEP.match(line)
        if match:
            current = match.group("instruction")
            steps[current] = False
        elif current is not None and line.startswith("--> Using cache"):
            steps[current] = True
    return steps


def test_cache_hits_parses_podman_build_output() -> None:
    output = "\n".join(
        [
            "[1/2] STEP 1/2: FROM base AS builder",
            "[1/2] STEP 2/2: RUN pip install x",
            "--> Using cache 0123abcd",
            "[2/2] STEP 1/2: COPY app/ /app/",
            "--> 4567ef01",
        ]
    )
    assert cache_hits(output) == {
        "FROM base AS builder": False,
        "RUN pip install x": True,
        "COPY app/ /app/": False,
    }


def test_source_only_change_reuses_the_dependency_layer(
    images: Images, docker_dir: Path, tmp_path: Path
) -> None:
    context = tmp_path / "docker"
    shutil.copytree(
        docker_dir, context, ignore=shutil.ignore_patterns("logs", ".env", "__pycache__")
    )
    app_py = context / "app" / "app.py"
    app_py.write_text(app_py.read_text() + "\n# touched by test_rebuild_cache\n")
    tag = f"localhost/{engine.unique('sre-docker-test-rebuild')}:test"
    started = time.monotonic()
    try:
        output = engine.build(context, tag, {"BASE_IMAGE": images.base})
    finally:
        seconds = time.monotonic() - started
        engine.remove_images(tag)
    print(f"rebuild after touching app.py: {seconds:.1f}s")
    steps = cache_hits(output)
    pip_steps = [step for step in steps if "pip install" in step]
    source_steps = [step for step in steps if step.startswith("COPY") and "app/ /app/" in step]
    assert len(pip_steps) == 1 and len(source_steps) == 1, output
    assert steps[pip_steps[0]], f"pip layer rebuilt:\n{output}"
    assert not steps[source_steps[0]], f"source layer cached despite the edit:\n{output}"
