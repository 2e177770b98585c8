"""The benchmark still runs end to end (tiny fleet; the speed goal is only judged at scale)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.tools import require_tool

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def test_bench_runs_and_counts_calls(repo_root: Path) -> None:
    require_tool("jq")
    aws = require_tool("aws", "Debian package awscli", path="/usr/bin")
    instances = 12
    done = subprocess.run(
        [
            sys.executable,
            "auditscript/bench/run_bench.py",
            "--instances",
            str(instances),
            "--org-instances",
            "2",
            "--repeats",
            "1",
            "--aws-cli",
            aws,
        ],
        cwd=str(repo_root),
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    # 1 = goal missed, which is expected at this size; anything else is a crash.
    assert done.returncode in (0, 1), done.stderr[-2000:]
    calls = {
        m.group(1).strip(): int(m.group(2))
        for m in re.finditer(
            r"^(audit\.py|naive boto3 \(a\)|aws cli \+ jq \(b\))\s+(\d+)\s",
            done.stdout,
            flags=re.MULTILINE,
        )
    }
    # audit.py: GetCallerIdentity, DescribeRegions + one each of instances, volumes, types
    # (constant in the fleet).
    assert calls["audit.py"] == 5
    # naive: the instance page, one DescribeVolumes per instance, one DescribeInstanceTypes per
    # type (12 instances fit in one launch batch of the seeder, so one type).
    assert calls["naive boto3 (a)"] == 1 + instances + 1
    assert calls["aws cli + jq (b)"] == 2
    # The organisation: GetCallerIdentity, ListAccounts, 3 AssumeRole, 4 DescribeRegions and
    # 3 calls per scope for 16 scopes, whether concurrent or one after another.
    org = {
        m.group(1): int(m.group(2))
        for m in re.finditer(
            r"^(concurrent|sequential) \(--max-workers \d+\)\s+(\d+)\s", done.stdout, re.MULTILINE
        )
    }
    assert org == {"concurrent": 57, "sequential": 57}, done.stdout
    assert done.stdout.count("goal:") == 2
