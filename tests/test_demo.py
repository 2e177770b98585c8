"""`make demo` walks through the product and stops cleanly on Ctrl-C, leaving no process."""

from __future__ import annotations

import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import List, Optional

import pytest

from tests.support.localaws import free_port

pytestmark = pytest.mark.integration


def port_open(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def holders(pipe_inode: int) -> List[str]:
    """The processes that hold the pipe with this inode open (pid and command line)."""
    found = []
    for fd_dir in Path("/proc").glob("[0-9]*/fd"):
        if fd_dir.parent.name == str(os.getpid()):
            continue  # this test, which reads it
        try:
            if any(os.readlink(fd) == f"pipe:[{pipe_inode}]" for fd in fd_dir.iterdir()):
                cmdline = (fd_dir.parent / "cmdline").read_bytes().replace(b"\0", b" ")
                found.append(f"{fd_dir.parent.name}: {cmdline.decode(errors='replace')}")
        except OSError:
            continue  # gone meanwhile, or not ours to read
    return found


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
    # A reader thread, so the deadlines below hold even when the demo prints nothing.
    lines: queue.Queue[Optional[str]] = queue.Queue()
    assert process.stdout is not None
    stdout = process.stdout

    def read() -> None:
        for line in stdout:
            lines.put(line)
        lines.put(None)

    pipe = os.fstat(stdout.fileno()).st_ino
    threading.Thread(target=read, daemon=True).start()
    seen: List[str] = []

    def collect_until(marker: Optional[str], seconds: float) -> str:
        """Read lines until one contains `marker` ("found"), the output ends ("eof") or time
        runs out ("timeout")."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                line = lines.get(timeout=0.5)
            except queue.Empty:
                continue
            if line is None:
                return "eof"
            seen.append(line)
            if marker is not None and marker in line:
                return "found"
        return "timeout"

    try:
        ready = collect_until("Press Ctrl-C", 240)
        output = "".join(seen)
        assert ready == "found", f"no 'Press Ctrl-C' within 240 s ({ready}):\n{output}"
        assert "POST /user -> 201" in output, output
        assert re.search(r"GET /user\?user_id=\S+ -> 200", output), output
        moto_port = int(re.search(r"moto on http://127\.0\.0\.1:(\d+)", output).group(1))  # type: ignore[union-attr]
        assert port_open(port) and port_open(moto_port)
        assert (tmp_path / "app.log").exists()

        mark = len(seen)
        os.killpg(process.pid, signal.SIGINT)  # what Ctrl-C does to the foreground group
        # The demo bounds its own stop: 10 s for the service, 5 s (then SIGKILL) for moto.
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            collect_until(None, 1)
            raise AssertionError(
                "the demo was still running 60 s after Ctrl-C; it printed:\n" + "".join(seen[mark:])
            ) from None
        # Its output ends when every process it started has gone: a process still holding it
        # is one Ctrl-C did not stop.
        ended = collect_until(None, 15) == "eof"
        rest = "".join(seen[mark:])
        assert ended, f"processes the demo left behind: {holders(pipe)}\n{rest}"
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    assert process.returncode == 0, rest
    assert "stopped the service and the moto server" in rest
    assert not port_open(port), "the service is still listening"
    assert not port_open(moto_port), "the moto server is still listening"
