"""The Jenkinsfile's own checks, run under `make test`: JenkinsPipelineUnit (Maven) and lint.

The Maven tests replay the JSON and exit status the checker itself produced against moto in this
session (tests/cicd/contract.py), so the Groovy and Python halves share one contract.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.cicd import contract
from tests.support.localaws import MotoServer
from tests.support.tools import require_tool

pytestmark = pytest.mark.slow

# Pinned: the newest npm-groovy-lint that runs on Node 20 (17+ needs Node 22).
NPM_GROOVY_LINT = "npm-groovy-lint@16.2.0"
# 15 scenarios run CPS-transformed (plus the json-lib join probe), and under the sandbox
# allowlist (plus its rejection probe, the citation check and the no-unused-entry check).
EXPECTED_PIPELINE_TESTS = {"cicd.Route53CheckCpsTest": 16, "cicd.Route53CheckSandboxTest": 18}


def test_contract_cases_come_from_the_checker(moto_server: MotoServer, tmp_path: Path) -> None:
    require_tool(str(contract.BARE_PYTHON), "pyenv install 3.8.18")
    codes = contract.generate(tmp_path, moto_server, sys.executable)
    assert codes == {"pass": 0, "records_wrong": 1, "could_not_check": 2, "no_boto3": 2}
    for case in contract.CASES:
        assert json.loads((tmp_path / f"{case}.json").read_text())["result"] in (
            "pass",
            "records_wrong",
            "could_not_check",
        )


def test_jenkinsfile_pipeline_unit_tests_pass(
    repo_root: Path, moto_server: MotoServer, tmp_path: Path
) -> None:
    mvn = require_tool("mvn", "apt-get install maven")
    require_tool("java", "apt-get install openjdk-17-jdk-headless")
    require_tool(str(contract.BARE_PYTHON), "pyenv install 3.8.18")
    contract_dir = tmp_path / "contract"
    contract.generate(contract_dir, moto_server, sys.executable)
    cicd = repo_root / "cicd"
    reports = cicd / "target" / "surefire-reports"
    for old in reports.glob("TEST-*.xml"):
        old.unlink()  # only this run's reports count
    result = subprocess.run(
        [mvn, "-B", "-q", f"-Dcontract.dir={contract_dir}", "test"],
        cwd=cicd,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]

    counts = {}
    for report in reports.glob("TEST-*.xml"):
        # Our own Maven run wrote these reports moments ago; they are not untrusted input.
        suite = ET.parse(report).getroot()  # noqa: S314
        bad = sum(int(suite.get(k, 0)) for k in ("failures", "errors", "skipped"))
        assert bad == 0, report.read_text()[-4000:]
        counts[suite.get("name")] = int(suite.get("tests", 0))
    assert counts == EXPECTED_PIPELINE_TESTS


def test_jenkinsfile_has_no_groovy_lint_errors(repo_root: Path) -> None:
    npx = require_tool("npx", "apt-get install npm")
    require_tool("java", "npm-groovy-lint runs CodeNarc on Java")
    result = subprocess.run(
        # --noserver: do not leave npm-groovy-lint's CodeNarc server running after the test.
        [
            npx,
            "--yes",
            NPM_GROOVY_LINT,
            "--noserver",
            "--failon",
            "error",
            "Jenkinsfile",
            "jenkins/jobs/route53_check.groovy",
        ],
        cwd=repo_root / "cicd",
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        env=dict(os.environ, NO_COLOR="1", FORCE_COLOR="0"),
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    assert "linted files" in result.stdout


def test_job_is_created_from_code_for_this_jenkinsfile(repo_root: Path) -> None:
    """JCasC loads the Job DSL script, which points at cicd/Jenkinsfile with the same schedule."""
    import re

    import yaml

    casc = yaml.safe_load((repo_root / "cicd" / "jenkins" / "jenkins.yaml").read_text())
    dsl_path = repo_root / casc["jobs"][0]["file"]
    dsl = dsl_path.read_text()
    assert "pipelineJob('route53-check')" in dsl
    script_path = re.search(r"scriptPath\('([^']+)'\)", dsl)
    assert script_path is not None and (repo_root / script_path.group(1)).is_file()
    jenkinsfile = (repo_root / "cicd" / "Jenkinsfile").read_text()
    dsl_cron = re.search(r"spec\('([^']+)'\)", dsl)
    file_cron = re.search(r"cron\('([^']+)'\)", jenkinsfile)
    assert dsl_cron is not None and file_cron is not None
    assert dsl_cron.group(1) == file_cron.group(1) == "H/30 * * * *"
