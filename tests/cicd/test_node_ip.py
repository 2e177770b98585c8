"""cicd/scripts/node-ip.sh: every fallback runs under set -euo pipefail.

A PATH of fake ``ip``/``hostname``/``getent`` commands decides which probes fail, so each
fallback is reached the way it is on a real agent (IPv6-only, no ``ip``, no ``hostname -I``).
"""

from __future__ import annotations

import ipaddress
import os
import subprocess
from pathlib import Path
from typing import Dict, Optional

import pytest

pytestmark = pytest.mark.py38

SCRIPT = Path(__file__).resolve().parents[2] / "cicd" / "scripts" / "node-ip.sh"
REAL_TOOLS = ("awk", "bash")


def fake_bin(tmp_path: Path, commands: Dict[str, str]) -> Path:
    """A folder with only the given fake commands (shell bodies) plus awk and bash."""
    folder = tmp_path / "bin"
    folder.mkdir()
    for tool in REAL_TOOLS:
        for candidate in ("/usr/bin", "/bin"):
            if Path(candidate, tool).exists():
                (folder / tool).symlink_to(Path(candidate, tool))
                break
    for name, body in commands.items():
        path = folder / name
        path.write_text("#!/bin/bash\n" + body + "\n")
        path.chmod(0o755)
    return folder


def run(folder: Optional[Path]) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    if folder is not None:
        env["PATH"] = str(folder)
    bash = "/bin/bash" if Path("/bin/bash").exists() else "/usr/bin/bash"
    return subprocess.run(
        [bash, str(SCRIPT)], env=env, capture_output=True, text=True, timeout=30, check=False
    )


IP_V4 = 'echo "192.0.2.1 via 10.0.0.1 dev eth0 src 10.0.3.17 uid 0"'
IP_V6_ONLY = (
    'if [ "$1" = "-4" ]; then echo "RTNETLINK answers: Network is unreachable" >&2; exit 2; fi\n'
    'echo "2001:db8::1 from :: via fe80::1 dev eth0 proto ra src 2001:db8:42::17 metric 100"'
)
FAIL = "exit 1"


def test_real_machine_prints_an_ip_address() -> None:
    result = run(None)
    assert result.returncode == 0, result.stderr
    ipaddress.ip_address(result.stdout.strip())


@pytest.mark.parametrize(
    ("commands", "expected"),
    [
        ({"ip": IP_V4, "hostname": FAIL, "getent": FAIL}, "10.0.3.17"),
        # IPv6-only agent: `ip -4 route get` fails (exit 2); the v6 route answers.
        ({"ip": IP_V6_ONLY, "hostname": FAIL, "getent": FAIL}, "2001:db8:42::17"),
        # No routes at all: hostname -I.
        ({"ip": FAIL, "hostname": 'echo "10.9.8.7 fd00::7 "', "getent": FAIL}, "10.9.8.7"),
        # No `ip` binary and a hostname without -I (busybox): the resolver.
        (
            {
                "hostname": 'if [ "$1" = "-I" ]; then exit 1; fi; echo agent-7',
                "getent": 'echo "127.0.1.1 STREAM agent-7"; echo "10.1.2.3 STREAM agent-7"',
            },
            "10.1.2.3",
        ),
        # Nothing works: still exit 0 with "unknown", the stage must not fail on it.
        ({"ip": FAIL, "hostname": FAIL, "getent": FAIL}, "unknown"),
    ],
    ids=["ipv4-route", "ipv6-only", "hostname-I", "resolver", "nothing"],
)
def test_fallbacks_run_when_earlier_probes_fail(
    tmp_path: Path, commands: Dict[str, str], expected: str
) -> None:
    result = run(fake_bin(tmp_path, commands))
    assert result.returncode == 0, result.stderr
    assert result.stdout == expected + "\n"
