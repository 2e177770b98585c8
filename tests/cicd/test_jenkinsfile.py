"""The Jenkinsfile's own checks, run under `make test`: JenkinsPipelineUnit (Maven) and lint."""

from __future__ import annotations

import os
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.support.tools import require_tool

pytestmark = pytest.mark.slow

# Pinned: the newest npm-groovy-lint that runs on Node 20 (17+ needs Node 22).
NPM_GROOVY_LINT = "npm-groovy-lint@16.2.0"
EXPECTED_PIPELINE_TESTS = 10


def test_jenkinsfile_pipeline_unit_tests_pass(repo_root: Path) -> None:
    mvn = require_tool("mvn", "apt-get install maven")
    require_tool("java", "apt-get install openjdk-17-jdk-headless")
    cicd = repo_root / "cicd"
    reports = cicd / "target" / "surefire-reports"
    for old in reports.glob("TEST-*.xml"):
        old.unlink()  # only this run's reports count
    result = subprocess.run(
        [mvn, "-B", "-q", "test"],
        cwd=cicd,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]

    tests = failures = errors = skipped = 0
    for report in reports.glob("TEST-*.xml"):
        # Our own Maven run wrote these reports moments ago; they are not untrusted input.
        suite = ET.parse(report).getroot()  # noqa: S314
        tests += int(suite.get("tests", 0))
        failures += int(suite.get("failures", 0))
        errors += int(suite.get("errors", 0))
        skipped += int(suite.get("skipped", 0))
    assert (failures, errors, skipped) == (0, 0, 0)
    assert tests == EXPECTED_PIPELINE_TESTS


def test_jenkinsfile_has_no_groovy_lint_errors(repo_root: Path) -> None:
    npx = require_tool("npx", "apt-get install npm")
    require_tool("java", "npm-groovy-lint runs CodeNarc on Java")
    result = subprocess.run(
        # --noserver: do not leave npm-groovy-lint's CodeNarc server running after the test.
        [npx, "--yes", NPM_GROOVY_LINT, "--noserver", "--failon", "error", "Jenkinsfile"],
        cwd=repo_root / "cicd",
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        env=dict(os.environ, NO_COLOR="1", FORCE_COLOR="0"),
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    assert "linted files" in result.stdout
