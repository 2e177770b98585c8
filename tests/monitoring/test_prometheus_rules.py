"""Prometheus rules: promtool checks, unit tests, and the conventions the plan promises."""

from __future__ import annotations

import re
import subprocess
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any, Dict, List, Set, Tuple

import pytest
import yaml

from tests.support.tools import require_tool

PROM = Path(__file__).resolve().parents[2] / "monitoring" / "prometheus"
RULE_FILES = [PROM / "recording_rules.yaml", PROM / "alerts.yaml", PROM / "vendor_alerts.yaml"]
GENERATOR = PROM.parent / "scripts" / "generate_vendor_rules.py"
UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
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


def seconds(duration: str) -> int:
    return sum(int(v) * UNITS[u] for v, u in re.findall(r"(\d+)([smhd])", str(duration)))


def collect_cases() -> Tuple[Dict[Tuple[str, str], int], Dict[Tuple[str, str], List[int]]]:
    """(alertname, severity) -> firing checks; (alertname, severity) -> silent eval times.

    Silence is per severity: a check whose expected alerts name only the warning proves the
    critical rule of the same name silent at that time (promtool compares the full list).
    """
    severities: Dict[str, Set[str]] = defaultdict(set)
    for rule in alerting_rules():
        severities[rule["alert"]].add(rule["labels"]["severity"])
    fired: Dict[Tuple[str, str], int] = defaultdict(int)
    silent: Dict[Tuple[str, str], List[int]] = defaultdict(list)
    for path in TEST_FILES:
        for case in yaml.safe_load(path.read_text()).get("tests", []):
            for check in case.get("alert_rule_test", []):
                name = check["alertname"]
                expected = {a["exp_labels"]["severity"] for a in check.get("exp_alerts") or []}
                for severity in expected:
                    fired[(name, severity)] += 1
                for severity in severities.get(name, set()) - expected:
                    silent[(name, severity)].append(seconds(check["eval_time"]))
    return fired, silent


def test_every_alert_fires_and_stays_silent_per_severity_below_its_threshold() -> None:
    """Each (alert, severity) fires in a test and is proven silent at a time later than its
    `for:`, so the silence comes from the data being below the threshold, not from a pending
    period that has not elapsed. A page needs two such silent checks (a normal day, a blip)."""
    fired, silent = collect_cases()
    missing = []
    for rule in alerting_rules():
        key = (rule["alert"], rule["labels"]["severity"])
        label = f"{key[0]} ({key[1]})"
        wait = seconds(rule["for"])
        real = [t for t in silent.get(key, []) if t > wait]
        if not fired.get(key):
            missing.append(f"{label} never fires in a test")
        if not real:
            missing.append(f"{label}: no silent check later than its for: {rule['for']}")
        if key[1] == "critical" and len(real) < 2:
            missing.append(f"{label} pages but has fewer than 2 silent checks after its for:")
    assert not missing, "\n".join(sorted(set(missing)))


def test_tests_only_name_alerts_that_exist() -> None:
    fired, silent = collect_cases()
    known = {r["alert"] for r in alerting_rules()}
    named = {name for name, _ in fired} | {name for name, _ in silent}
    for path in TEST_FILES:
        for case in yaml.safe_load(path.read_text()).get("tests", []):
            named.update(c["alertname"] for c in case.get("alert_rule_test", []))
    assert named <= known, f"tests refer to unknown alerts: {sorted(named - known)}"


def test_alert_conventions() -> None:
    problems = []
    for rule in alerting_rules():
        name = rule["alert"]
        if not re.fullmatch(r"(?:[A-Z][a-z0-9]*|DB)+", name) or not name.startswith(PREFIXES):
            problems.append(f"{name}: not PascalCase with a component prefix")
        # Generated per-vendor rules also carry dependency="<vendor>" (one rule per vendor).
        allowed = (
            {"severity", "dependency"} if "dependency" in rule.get("labels", {}) else {"severity"}
        )
        if set(rule.get("labels", {})) != allowed or (
            "dependency" in allowed and not name.startswith("ThirdPartyApi")
        ):
            problems.append(f"{name}: labels must be exactly {{severity}} (+ dependency: vendors)")
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
    shipped = {"../alerts.yaml", "../recording_rules.yaml", "../vendor_alerts.yaml"}
    assert set(doc["rule_files"]) <= shipped and doc["rule_files"]
    for case in doc["tests"]:
        assert case.get("name"), f"{path.name}: every case needs a sentence name"


# ----------------------------------------------------------------------------- vendor catalogue


def run_generator(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(GENERATOR), *args], capture_output=True, text=True, check=False
    )


def test_generated_vendor_files_are_up_to_date() -> None:
    result = run_generator("--check")
    assert result.returncode == 0, result.stderr


def test_every_catalogue_vendor_has_its_rules_and_route() -> None:
    catalogue = yaml.safe_load((PROM.parent / "vendors.yaml").read_text())
    rules = [r for r in alerting_rules() if r["alert"].startswith("ThirdPartyApi")]
    config = yaml.safe_load((PROM.parent / "alertmanager" / "alertmanager.yml").read_text())
    routes = {
        m: r["receiver"]
        for r in config["route"]["routes"]
        for m in r.get("matchers", [])
        if m.startswith("dependency=")
    }
    for vendor in catalogue["vendors"]:
        mine = [r for r in rules if r["labels"].get("dependency") == vendor["name"]]
        severities = {
            r["labels"]["severity"] for r in mine if r["alert"] != "ThirdPartyApiLatencyHigh"
        }
        expected = {"critical", "warning"} if vendor["criticality"] == "hard" else {"warning"}
        assert severities == expected, vendor["name"]
        assert routes[f'dependency="{vendor["name"]}"'] == (
            "pager" if vendor["criticality"] == "hard" else "tickets"
        )


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda v: v.update(criticality="medium"), "criticality must be hard or soft"),
        (lambda v: v.pop("escalation"), "missing field 'escalation'"),
        (lambda v: v.update(timeout_seconds=0.5), "must exceed the SLA p99"),
        (lambda v: v["quota"].update(window="1w"), "window 1d or 30d"),
        (lambda v: v["retry"].update(budget_ratio=5.0), "budget_ratio must be in"),
    ],
)
def test_generator_rejects_a_bad_catalogue_with_one_line_and_writes_nothing(
    tmp_path: Path, edit: Any, message: str
) -> None:
    catalogue = yaml.safe_load((PROM.parent / "vendors.yaml").read_text())
    edit(catalogue["vendors"][0])
    bad = tmp_path / "vendors.yaml"
    bad.write_text(yaml.safe_dump(catalogue))
    before = (PROM / "vendor_alerts.yaml").read_bytes()
    result = run_generator("--catalogue", str(bad))
    assert result.returncode == 2
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert (PROM / "vendor_alerts.yaml").read_bytes() == before


def test_generator_check_reports_a_stale_output(tmp_path: Path) -> None:
    catalogue = yaml.safe_load((PROM.parent / "vendors.yaml").read_text())
    catalogue["vendors"][0]["min_rps"] = 7.0
    changed = tmp_path / "vendors.yaml"
    changed.write_text(yaml.safe_dump(catalogue))
    result = run_generator("--check", "--catalogue", str(changed))
    assert result.returncode == 1
    assert "stale: " in result.stderr and "vendor_alerts.yaml" in result.stderr
