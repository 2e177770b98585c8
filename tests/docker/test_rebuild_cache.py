"""A change to the service's source alone must not reinstall its dependencies (both engines).

The Dockerfile copies requirements.txt and runs pip before it copies the source, and puts the
version label last, so after an edit to app.py, or a new VERSION, the builder's pip layer comes
from the cache and only what follows the change is rebuilt.
"""

from __future__ import annotations

import re
import shutil
import time
from pathlib import Path
from typing import Dict, Optional

import pytest

from tests.docker import engine as engines
from tests.docker.conftest import Images

pytestmark = [pytest.mark.integration, pytest.mark.slow]

# podman: "[2/3] STEP 4/9: RUN ..." then "--> Using cache <id>";
# Docker's classic builder: "Step 4/19 : RUN ..." then " ---> Using cache".
STEP = re.compile(r"^(?:\[\d+/\d+\] STEP \d+/\d+: |Step \d+/\d+ : )(?P<instruction>.*)$")
CACHED = re.compile(r"^\s*-+> Using cache")


def cache_hits(build_output: str) -> Dict[str, bool]:
    """Map each build step's instruction to whether the engine reused a cached layer for it."""
    steps: Dict[str, bool] = {}
    current: Optional[str] = None
    for line in build_output.splitlines():
        match = STEP.match(line)
        if match:
            current = match.group("instruction").strip()
            steps[current] = False
        elif current is not None and CACHED.match(line):
            steps[current] = True
    return steps


def test_cache_hits_parses_podman_and_docker_build_output() -> None:
    podman = "\n".join(
        [
            "[1/2] STEP 1/2: FROM base AS builder",
            "[1/2] STEP 2/2: RUN pip install x",
            "--> Using cache 0123abcd",
            "[2/2] STEP 1/2: COPY app/ /app/",
            "--> 4567ef01",
        ]
    )
    docker = "\n".join(
        [
            "Step 1/3 : FROM base AS builder",
            " ---> 0123abcd",
            "Step 2/3 : RUN pip install x",
            " ---> Using cache",
            " ---> 89ab",
            "Step 3/3 : COPY app/ /app/",
            " ---> 4567ef01",
        ]
    )
    expected = {"FROM base AS builder": False, "RUN pip install x": True, "COPY app/ /app/": False}
    assert cache_hits(podman) == expected
    assert cache_hits(docker) == expected


def build(engine: engines.Engine, context: Path, tag: str, args: Dict[str, str]) -> str:
    if engine.name == "podman":
        return engines.podman_build(context, tag, args, target="runtime")
    command = ["build", "--target", "runtime", "-t", tag]
    for key, value in args.items():
        command += ["--build-arg", f"{key}={value}"]
    result = engine.docker(*command, str(context), timeout=900)
    return result.stdout + result.stderr


def test_source_or_version_change_reuses_the_dependency_layer(
    engine: engines.Engine, images: Images, docker_dir: Path, tmp_path: Path
) -> None:
    context = tmp_path / "docker"
    shutil.copytree(
        docker_dir, context, ignore=shutil.ignore_patterns("logs", ".env", "__pycache__")
    )
    tag = f"localhost/{engines.unique('sre-docker-test-rebuild')}:test"
    args = {"BASE_IMAGE": images.base}
    try:
        build(engine, context, tag, args)  # warm this engine's cache (podman: already warm)
        app_py = context / "app" / "app.py"
        app_py.write_text(app_py.read_text() + "\n# touched by test_rebuild_cache\n")
        started = time.monotonic()
        output = build(engine, context, tag, {**args, "VERSION": "9.9.9"})
        seconds = time.monotonic() - started
    finally:
        engine.remove_images(tag)
    print(f"[{engine.name}] rebuild after touching app.py and VERSION: {seconds:.1f}s")
    steps = cache_hits(output)
    pip_steps = [step for step in steps if "--require-hashes" in step]
    source_steps = [step for step in steps if step.startswith("COPY") and "app/ /app/" in step]
    assert len(pip_steps) == 1 and len(source_steps) == 1, output
    assert steps[pip_steps[0]], f"pip layer rebuilt:\n{output}"
    assert not steps[source_steps[0]], f"source layer cached despite the edit:\n{output}"
    # Everything before the source copy came from the cache: the version label is placed last.
    before = list(steps)[: list(steps).index(source_steps[0])]
    rebuilt = [s for s in before if not steps[s] and not s.startswith(("FROM", "ARG"))]
    assert not rebuilt, f"rebuilt before the source copy: {rebuilt}"
