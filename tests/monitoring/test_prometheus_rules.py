"""Prometheus rules: promtool checks, unit tests, and the conventions the plan promises."""

from __future__ import annotations

import re
import subprocess
from collections import defaultdict
from pathlib import Path
from typing import Any, Dict, List, Set, Tuple

import pytest
import yaml

from tests.support.tools import require_tool

PROM = Path(__file__).resolve().parents[2] / "monitoring" / "prometheus"
RULE_FILES = [PROM / "recording_rules.yaml", PROM / "alerts.yaml"]
TEST_FILES = sorted((PROM / "tests").glob("*.yaml"))
RUNBOOK = PROM.parent / "runbook.md"
RUNBOOK_PREFIX = "https://github.com/somedomain/sre-monorepo/blob/main/monitoring/runbook.md#"
PREFIXES = (
    "Middleware",
    "Postgres",
    "DynamoDB",
    "ThirdPartyApi",
    "Synthetic",
    "LogPipeline",
    "Monitoring",
    "Security",
    "Business",
)


def load_rules() -> List[Dict[str, Any]]:
    rules: List[Dict[str, Any]] = []
    for path in RULE_FILES:
        for group in yaml.safe_load(path.read_text())["groups"]:
            rules.extend(group["rules"])
    return rules


def alerting_rules() -> List[Dict[str, Any]]:
    return [r for r in load_rules() if "alert" in r]


def github_anchors(markdown: str) -> Set[str]:
    """Anchors GitHub generates for headings: lowercase, punctuation dropped, spaces to '-'."""
    anchors = set()
    for line in markdown.splitlines():
        match = re.match(r"^#{1,6}\s+(.*)$", line)
        if match:
            text = match.group(1).strip().lower()
            text = re.sub(r"[^\w\- ]", "", text)
            anchors.add(text.replace(" ", "-"))
    return anchors


def test_promtool_check_rules() -> None:
    promtool = require_tool("promtool", "apt-get install prometheus")
    result = subprocess.run(
        [promtool, "check", "rules", *map(str, RULE_FILES)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


def test_promtool_unit_tests_pass() -> None:
    promtool = require_tool("promtool", "apt-get install prometheus")
    assert TEST_FILES, "no promtool test files"
    result = subprocess.run(
        [promtool, "test", "rules", *map(str, TEST_FILES)],
        capture_output=True,
        text=True,
        check=False,
        cwd=PROM / "tests",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("SUCCESS") == len(TEST_FILES)


def collect_cases() -> Tuple[Dict[Tuple[str, str], int], Dict[str, int]]:
    """(alertname, severity) -> number of firing checks; alertname -> number of silent checks."""
    fired: Dict[Tuple[str, str], int] = defaultdict(int)
    silent: Dict[str, int] = defaultdict(int)
    for path in TEST_FILES:
        for case in yaml.safe_load(path.read_text()).get("tests", []):
            for check in case.get("alert_rule_test", []):
                expected = check.get("exp_alerts") or []
                if not expected:
                    silent[check["alertname"]] += 1
                for alert in expected:
                    fired[(check["alertname"], alert["exp_labels"]["severity"])] += 1
    return fired, silent


def test_every_alert_has_a_firing_and_a_silent_case() -> None:
    fired, silent = collect_cases()
    missing = []
    for rule in alerting_rules():
        name, severity = rule["alert"], rule["labels"]["severity"]
        if not fired.get((name, severity)):
            missing.append(f"{name} ({severity}) never fires in a test")
        if not silent.get(name):
            missing.append(f"{name} is never checked to stay silent")
        # A page must stay quiet on a normal day AND on a short blip: two silent checks.
        if severity == "critical" and silent.get(name, 0) < 2:
            missing.append(f"{name} pages but has fewer than 2 silent checks (normal day, blip)")
    assert not missing, "\n".join(missing)


def test_tests_only_name_alerts_that_exist() -> None:
    fired, silent = collect_cases()
    known = {r["alert"] for r in alerting_rules()}
    named = {name for name, _ in fired} | set(silent)
    assert named <= known, f"tests refer to unknown alerts: {sorted(named - known)}"


def test_alert_conventions() -> None:
    problems = []
    for rule in alerting_rules():
        name = rule["alert"]
        if not re.fullmatch(r"(?:[A-Z][a-z0-9]*|DB)+", name) or not name.startswith(PREFIXES):
            problems.append(f"{name}: not PascalCase with a component prefix")
        if set(rule.get("labels", {})) != {"severity"}:
            problems.append(f"{name}: labels must be exactly {{severity}}")
        if rule.get("labels", {}).get("severity") not in ("critical", "warning", "info"):
            problems.append(f"{name}: severity must be critical, warning or info")
        if "for" not in rule:
            problems.append(f"{name}: no explicit for:")
        annotations = rule.get("annotations", {})
        if set(annotations) != {"summary", "description", "runbook_url"}:
            problems.append(f"{name}: annotations must be summary, description, runbook_url")
    assert not problems, "\n".join(problems)


def test_every_alert_links_to_its_own_runbook_entry() -> None:
    anchors = github_anchors(RUNBOOK.read_text())
    problems = []
    for rule in alerting_rules():
        url = rule["annotations"]["runbook_url"]
        expected = f"alert-name-{rule['alert'].lower()}"
        if url != RUNBOOK_PREFIX + expected:
            problems.append(f"{rule['alert']}: runbook_url {url} should end in #{expected}")
        if expected not in anchors:
            problems.append(f"{rule['alert']}: runbook.md has no heading for #{expected}")
    assert not problems, "\n".join(problems)


def test_runbook_has_exactly_one_entry_per_alert() -> None:
    names = {f"alert-name-{r['alert'].lower()}" for r in alerting_rules()}
    headings = re.findall(r"^#{1,6} Alert Name: (\S+)$", RUNBOOK.read_text(), flags=re.M)
    assert len(headings) == len(set(headings)), "duplicate runbook entries"
    assert {f"alert-name-{h.lower()}" for h in headings} == names


def test_recording_rule_names_follow_level_metric_operations() -> None:
    records = [r["record"] for r in load_rules() if "record" in r]
    assert records
    bad = [r for r in records if not re.fullmatch(r"[a-z_]+:[a-z0-9_]+:[a-z0-9_]+", r)]
    assert not bad, f"not level:metric:operations: {bad}"
    # Recording rules drop _total under rate.
    assert not [r for r in records if "_total:" in r]


def test_every_recording_rule_read_by_an_alert_is_unit_tested() -> None:
    tested: Set[str] = set()
    for path in TEST_FILES:
        for case in yaml.safe_load(path.read_text()).get("tests", []):
            for check in case.get("promql_expr_test", []):
                tested.update(re.findall(r"[a-z_]+:[a-z0-9_]+:[a-z0-9_]+", check["expr"]))
    used: Set[str] = set()
    for rule in alerting_rules():
        used.update(re.findall(r"[a-z_]+:[a-z0-9_]+:[a-z0-9_]+", rule["expr"]))
    # The SLO ratios are proven through the alert tests; these are checked value by value.
    must = {u for u in used if not u.startswith("job:")} | {
        "job:http_server_requests_errors:ratio_rate5m",
        "job:http_server_request_duration_seconds:slow_ratio_rate5m",
    }
    assert must <= tested, f"recording rules without promql_expr_test: {sorted(must - tested)}"


@pytest.mark.parametrize("path", TEST_FILES, ids=lambda p: p.name)
def test_unit_test_files_load_the_shipped_rules(path: Path) -> None:
    doc = yaml.safe_load(path.read_text())
    assert "../alerts.yaml" in doc["rule_files"] or "../recording_rules.yaml" in doc["rule_files"]
    for case in doc["tests"]:
        assert case.get("name"), f"{path.name}: every case needs a sentence name"
