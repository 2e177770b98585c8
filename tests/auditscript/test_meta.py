"""The help and README say what the code does: StartTime, units, exit codes, IAM actions."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from typing import Any, Dict, List

import pytest
from ec2audit.accounts import DEFAULT_ROLE_NAME
from ec2audit.aws import REQUIRED_ACTIONS
from ec2audit.errors import EXIT_CODES
from ec2audit.report import COLUMNS

from tests.auditscript.conftest import AUDIT_PY, AUDITSCRIPT

pytestmark = pytest.mark.py38

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
        "--max-workers",
        "csv,json,markdown",
    ):
        assert option in text


def test_readme_exit_code_table_matches_code() -> None:
    table = dict(re.findall(r"^\| (\d+) \| (.+?) \|$", README, flags=re.MULTILINE))
    assert {int(k): v for k, v in table.items() if int(k) not in (130, 143)} == EXIT_CODES
    assert "130" in table and "143" in table  # the signal statuses, documented beside them


def test_readme_policy_is_the_policy_file_and_the_code_asks_for_it() -> None:
    policy = json.loads((AUDITSCRIPT / "iam-policy.json").read_text())
    block = re.search(r"```json\n(\{\n  \"Version\".*?)\n```", README, flags=re.DOTALL)
    assert block is not None
    assert json.loads(block.group(1)) == policy
    ec2_actions = policy["Statement"][0]["Action"]
    assert sorted(ec2_actions) == sorted(REQUIRED_ACTIONS)
    assert all(a.startswith("ec2:Describe") for a in ec2_actions)
    assert policy["Statement"][1]["Action"] == "s3:PutObject"


def _readme_json_blocks() -> List[Any]:
    return [json.loads(b) for b in re.findall(r"```json\n(.*?)\n```", README, flags=re.DOTALL)]


def test_org_policies_are_in_the_readme_and_least_privilege() -> None:
    blocks = _readme_json_blocks()
    policies = {
        name: json.loads((AUDITSCRIPT / "iam" / f"{name}.json").read_text())
        for name in ("management-policy", "member-role-policy", "member-role-trust-policy")
    }
    for name, policy in policies.items():
        assert policy in blocks, f"iam/{name}.json is not shown in the README"
        for statement in policy["Statement"]:
            actions = statement["Action"]
            actions = [actions] if isinstance(actions, str) else actions
            assert all("*" not in a for a in actions), name  # no wildcard actions
            assert statement["Effect"] == "Allow"

    def actions_of(policy: Dict[str, Any]) -> Dict[str, Any]:
        found: Dict[str, Any] = {}
        for statement in policy["Statement"]:
            actions = statement["Action"]
            for action in [actions] if isinstance(actions, str) else actions:
                found[action] = statement.get("Resource")
        return found

    member = actions_of(policies["member-role-policy"])
    assert sorted(member) == sorted(REQUIRED_ACTIONS)  # exactly what each account is asked
    runner = actions_of(policies["management-policy"])
    assert runner.pop("organizations:ListAccounts") == "*"
    # Only the audit role (the CLI's default name) may be assumed, in any account.
    assert runner.pop("sts:AssumeRole") == f"arn:aws:iam::*:role/{DEFAULT_ROLE_NAME}"
    assert sorted(runner) == sorted(REQUIRED_ACTIONS)  # its own account is audited too
    trust = policies["member-role-trust-policy"]["Statement"]
    assert len(trust) == 1 and trust[0]["Action"] == "sts:AssumeRole"
    assert trust[0]["Principal"]["AWS"].endswith(":role/ec2-audit-runner")  # one role, no "*"
    assert "sts:ExternalId" in trust[0]["Condition"]["StringEquals"]


def test_help_documents_org_mode_and_signals() -> None:
    text = _help()
    for word in (
        "--org",
        "--accounts",
        "--role-name",
        "--external-id",
        "--session-name",
        "--progress",
        "143",
        "SIGTERM",
        ".scopes.",
    ):
        assert word in text, word  # fmt: skip


def test_readme_documents_columns_units_and_schedule() -> None:
    for column in COLUMNS:
        assert column in README
    for topic in (
        "GiB", "decimal GB", "StartTime", "cron", "EventBridge", "--s3-uri", "--org",
        "status file", "service control policy", "SIGTERM", "partition",
    ):  # fmt: skip
        assert topic in README
