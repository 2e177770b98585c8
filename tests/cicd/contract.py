"""The checker's contract with the Jenkinsfile, produced by the checker itself.

For each case the pipeline tests replay (pass, records_wrong, could_not_check, no_boto3) this
runs cicd/route53_check.py --json as the Jenkins job does (a separate process, against a moto
server over HTTP) and writes ``<case>.json`` (stdout) and ``<case>.rc`` (exit status) into a
folder the Maven tests read (-Dcontract.dir). Both halves are so tested against one contract:
change the JSON in Python and the Groovy tests see it.

Run: python -m tests.cicd.contract OUT_DIR   (starts its own moto server; `make -C cicd contract`)
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any, Dict, List, Optional

import boto3

from tests.cicd.route53_seed import ZONE, create_zone, upsert, weighted
from tests.support.localaws import MotoServer

CHECKER = Path(__file__).resolve().parents[2] / "cicd" / "route53_check.py"
CASES = ("pass", "records_wrong", "could_not_check", "no_boto3")
# A CPython with no boto3 (the image's pyenv 3.8.18): the "broken venv on the agent" case.
BARE_PYTHON = Path(os.environ.get("PYENV_ROOT", "/root/.pyenv")) / "versions/3.8.18/bin/python3.8"


def _client(server: MotoServer) -> Any:
    """A Route 53 client on ``server`` without touching this process's environment."""
    env = server.env()
    return boto3.client(
        "route53",
        region_name=env["AWS_DEFAULT_REGION"],
        endpoint_url=env["AWS_ENDPOINT_URL"],
        aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
    )


def _seed(client: Any, weights: Optional[List[int]]) -> None:
    for zone in client.list_hosted_zones()["HostedZones"]:
        if zone["Name"].rstrip(".") == ZONE:
            raise RuntimeError(f"moto already has a zone {ZONE}; give the contract a clean server")
    if weights is None:
        return
    zone_id = create_zone(client)
    blue = weighted(ZONE, "blue", weights[0], value="192.0.2.10")
    blue["ResourceRecords"].append({"Value": "192.0.2.11"})  # two values: the join is visible
    upsert(client, zone_id, [blue, weighted(ZONE, "green", weights[1], value="192.0.2.20")])


def _run(python: str, env: Dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [python, str(CHECKER), "--zone", ZONE, "--json", "--heartbeat"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=tempfile.gettempdir(),
    )


def write_case(out_dir: Path, case: str, result: subprocess.CompletedProcess[str]) -> None:
    # Atomic per file: a half-written contract never reaches the Groovy tests.
    for suffix, text in ((".json", result.stdout), (".rc", f"{result.returncode}\n")):
        tmp = out_dir / f".{case}{suffix}.tmp"
        tmp.write_text(text)
        tmp.replace(out_dir / f"{case}{suffix}")


def generate(
    out_dir: Path, server: MotoServer, python: str, bare_python: Path = BARE_PYTHON
) -> Dict[str, int]:
    """Write every case into ``out_dir``; returns each case's exit status."""
    out_dir.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, **server.env())
    codes: Dict[str, int] = {}
    for case, weights in (
        ("pass", [100, 0]),
        ("records_wrong", [50, 50]),
        ("could_not_check", None),
    ):
        server.reset()
        _seed(_client(server), weights)
        result = _run(python, env)
        write_case(out_dir, case, result)
        codes[case] = result.returncode
    result = _run(str(bare_python), env)
    write_case(out_dir, "no_boto3", result)
    codes["no_boto3"] = result.returncode
    server.reset()
    return codes


def main(argv: List[str]) -> int:
    if len(argv) != 1:
        sys.stderr.write("usage: python -m tests.cicd.contract OUT_DIR\n")
        return 2
    with MotoServer() as server:
        codes = generate(Path(argv[0]), server, sys.executable)
    sys.stderr.write(f"contract written to {argv[0]}: {codes}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
