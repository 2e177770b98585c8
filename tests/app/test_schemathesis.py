"""Property-based run of the OpenAPI document against the live service (moto and dynalite).

All phases, stateful included (POST /user -> GET /user?user_id= through the OpenAPI link), many
examples, every check: zero 5xx, responses as documented, bad input refused, good input taken.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.app.conftest import RunningApp

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def test_no_5xx_and_no_schema_violations(running_app: RunningApp, repo_root, tmp_path) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "schemathesis.cli",
            "--config-file",
            str(Path(__file__).with_name("schemathesis.toml")),
            "run",
            str(repo_root / "docker/app/openapi.json"),
            "--url",
            running_app.base_url,
            "--phases",
            "examples,coverage,fuzzing,stateful",
            "--max-examples",
            "200",
            "--continue-on-failure",
            "--seed",
            "1",
            "--report",
            "ndjson",
            "--report-dir",
            str(tmp_path),
        ],
        cwd=tmp_path,  # schemathesis keeps a cache folder in its working directory
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-6000:]
    assert "passed" in output.lower()
    report = next(tmp_path.glob("*.ndjson")).read_text()
    # The phases ran and passed, the stateful one (POST -> GET through the link) included.
    for phase in ("Coverage", "Fuzzing", "Stateful"):  # Examples: the document has none
        assert f"✅ {phase}" in output, output[-3000:]
    for check in (
        "not_a_server_error",
        "response_schema_conformance",
        "status_code_conformance",
        "negative_data_rejection",
        "positive_data_acceptance",
    ):
        assert f'"{check}"' in report, check
