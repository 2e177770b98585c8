"""`make demo` walks through the product and stops cleanly on Ctrl-C, leaving no process."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.support.localaws import free_port

pytestmark = pytest.mark.integration


def port_open(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def test_demo_runs_then_ctrl_c_stops_everything(repo_root: Path, tmp_path: Path) -> None:
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.support.demo",
            "--port",
            str(port),
            "--log-dir",
            str(tmp_path),
        ],
        cwd=repo_root,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # its own process group, like a terminal's foreground job
    )
    lines = []
    assert process.stdout is not None
    deadline = time.monotonic() + 240
    for line in process.stdout:
        lines.append(line)
        if "Press Ctrl-C" in line or time.monotonic() > deadline:
            break
    output = "".join(lines)
    assert "POST /user -> 201" in output, output
    assert re.search(r"GET /user\?user_id=\S+ -> 200", output), output
    moto_port = int(re.search(r"moto on http://127\.0\.0\.1:(\d+)", output).group(1))  # type: ignore[union-attr]
    assert port_open(port) and port_open(moto_port)
    assert (tmp_path / "app.log").exists()

    os.killpg(process.pid, signal.SIGINT)  # what Ctrl-C does to the foreground group
    rest, _ = process.communicate(timeout=30)
    assert process.returncode == 0, rest
    assert "stopped the service and the moto server" in rest
    assert not port_open(port), "the service is still listening"
    assert not port_open(moto_port), "the moto server is still listening"
