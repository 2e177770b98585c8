"""Rootless podman as a non-root engineer: the service image in a real user namespace.

Rootless engines map container root to the engineer and every other container UID to a sub-UID
the engineer cannot write as; the entrypoint must therefore stay container root there and the
host must see the engineer's own files. This runs that for real, as UID 4321 with its own
rootless podman storage, the clone's docker/logs bind-mounted.

What this machine cannot do: rootless *networking*. slirp4netns needs /dev/net/tun, which is
0600 root here (no udev, which makes it 0666 on a normal Debian host), so a rootless container
cannot publish a port: `docker compose up` on rootless podman stops there. The container runs
with `--network none` and is probed from inside (the health check's GET /healthz).
"""

from __future__ import annotations

import json
import pwd
import shutil
import subprocess
import time
from pathlib import Path
from typing import Iterator, List

import pytest

from tests.docker import engine as engines
from tests.docker.conftest import Images
from tests.support.tools import require_tool

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def as_user(
    user: pwd.struct_passwd, *args: str, timeout: float = 600
) -> subprocess.CompletedProcess[str]:
    env = [f"HOME={user.pw_dir}", "PATH=/usr/local/bin:/usr/bin:/bin"]
    return engines.run(
        ["runuser", "-u", user.pw_name, "--", "env", "-i", *env, *args],
        cwd=Path(user.pw_dir),
        check=False,
        timeout=timeout,
    )


@pytest.fixture(scope="module")
def rootless_image(images: Images, newcomer: pwd.struct_passwd) -> Iterator[str]:
    require_tool("podman")
    require_tool("newuidmap", "apt-get install uidmap (rootless podman)")
    require_tool("runuser", "util-linux")
    info = as_user(newcomer, "podman", "info", "--format", "{{.Host.Security.Rootless}}")
    assert info.stdout.strip() == "true", info.stderr
    with engines.private_dir("sre-rootless-") as tmp:
        archive = tmp / "app.tar"
        engines.podman("save", "--format", "docker-archive", "-o", str(archive), images.app)
        archive.chmod(0o644)
        loaded = as_user(newcomer, "podman", "load", "-q", "-i", str(archive), timeout=900)
        assert loaded.returncode == 0, loaded.stderr
    try:
        yield images.app
    finally:
        as_user(newcomer, "podman", "rmi", "--force", "--ignore", images.app)


def test_rootless_podman_writes_the_engineers_own_log_files(
    rootless_image: str, newcomer: pwd.struct_passwd
) -> None:
    clone = Path(newcomer.pw_dir) / engines.unique("rootless-clone")
    logs = clone / "docker" / "logs"
    assert as_user(newcomer, "mkdir", "-p", str(logs)).returncode == 0
    name = engines.unique("sre-rootless-app")
    run_args: List[str] = [
        "podman", "run", "-d", "--name", name, "--network", "none",
        "--user", "0", "--cap-drop", "ALL",
        "--cap-add", "CHOWN", "--cap-add", "SETUID", "--cap-add", "SETGID", "--cap-add", "KILL",
        "--read-only", "--tmpfs", "/tmp", "-v", f"{logs}:/var/log/app",
        "-e", "LOG_FILE_REQUIRED=true", "-e", "AWS_DEFAULT_REGION=us-east-1",
        "-e", "AWS_ACCESS_KEY_ID=local", "-e", "AWS_SECRET_ACCESS_KEY=local",
        "-e", "AWS_ENDPOINT_URL=http://127.0.0.1:9", rootless_image,
    ]  # fmt: skip
    try:
        started = as_user(newcomer, *run_args)
        assert started.returncode == 0, started.stderr
        deadline = time.monotonic() + 60
        probe = None
        while time.monotonic() < deadline:
            probe = as_user(newcomer, "podman", "exec", name, "python", "/opt/healthcheck.py")
            if probe.returncode == 0:
                break
            time.sleep(1)
        output = as_user(newcomer, "podman", "logs", name)
        assert probe is not None and probe.returncode == 0, output.stdout + output.stderr
        # Container root is the engineer here: the entrypoint stays root instead of a sub-UID.
        assert "running as 0:0" in output.stderr + output.stdout
        uid_map = as_user(newcomer, "podman", "exec", name, "cat", "/proc/self/uid_map").stdout
        assert uid_map.split()[:2] == ["0", str(newcomer.pw_uid)], uid_map
        log = logs / "app.log"
        assert log.is_file()
        assert (log.stat().st_uid, log.stat().st_gid) == (newcomer.pw_uid, newcomer.pw_gid)
        entries = [json.loads(line) for line in log.read_text().splitlines()]
        assert any(entry.get("path") == "/healthz" for entry in entries)
    finally:
        as_user(newcomer, "podman", "rm", "-f", "-t", "2", name)
    assert as_user(newcomer, "rm", "-r", str(clone)).returncode == 0, "not removable without sudo"
    shutil.rmtree(clone, ignore_errors=True)
