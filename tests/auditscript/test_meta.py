"""The help and README say what the code does: StartTime, units, exit codes, IAM actions."""

from __future__ import annotations

import json
import re
import subprocess
import sys

from ec2audit.aws import REQUIRED_ACTIONS
from ec2audit.errors import EXIT_CODES
from ec2audit.report import COLUMNS

from tests.auditscript.conftest import AUDIT_PY, AUDITSCRIPT

README = (AUDITSCRIPT / "README.md").read_text()


def _help() -> str:
    result = subprocess.run(
        [sys.executable, str(AUDIT_PY), "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return " ".join(result.stdout.split())


def test_help_explains_start_time() -> None:
    text = _help()
    assert "StartTime" in text and "LaunchTime" in text
    assert "LAST started" in text and "not the first launch" in text
    assert "ISO 8601 UTC" in text


def test_help_lists_every_exit_code() -> None:
    text = _help()
    for code, meaning in EXIT_CODES.items():
        assert f"{code} {' '.join(meaning.split())}" in text


def test_help_keeps_the_interface() -> None:
    text = _help()
    for option in (
        "--region",
        "--all-regions",
        "--output",
        "--format",
        "--profile",
        "--s3-uri",
        "--quiet",
        "csv,json,markdown",
    ):
        assert option in text


def test_readme_exit_code_table_matches_code() -> None:
    table = dict(re.findall(r"^\| (\d+) \| (.+?) \|$", README, flags=re.MULTILINE))
    assert {int(k): v for k, v in table.items() if int(k) != 130} == EXIT_CODES


def test_readme_policy_is_the_policy_file_and_the_code_asks_for_it() -> None:
    policy = json.loads((AUDITSCRIPT / "iam-policy.json").read_text())
    block = re.search(r"```json\n(\{\n  \"Version\".*?)\n```", README, flags=re.DOTALL)
    assert block is not None
    assert json.loads(block.group(1)) == policy
    ec2_actions = policy["Statement"][0]["Action"]
    assert sorted(ec2_actions) == sorted(REQUIRED_ACTIONS)
    assert all(a.startswith("ec2:Describe") for a in ec2_actions)
    assert policy["Statement"][1]["Action"] == "s3:PutObject"


def test_readme_documents_columns_units_and_schedule() -> None:
    for column in COLUMNS:
        assert column in README
    for topic in ("GiB", "decimal GB", "StartTime", "cron", "EventBridge", "--s3-uri"):
        assert topic in README
