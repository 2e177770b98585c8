"""The dashboard, the burn-rate plot and the CloudWatch module."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any, Dict

import pytest

from tests.support.tools import missing, require_tool

MONITORING = Path(__file__).resolve().parents[2] / "monitoring"
REPO = MONITORING.parent


def load_plot_module() -> ModuleType:
    path = MONITORING / "scripts" / "plot_burn_rate.py"
    spec = importlib.util.spec_from_file_location("plot_burn_rate", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# ----------------------------------------------------------------------------- dashboard


def test_grafana_dashboard_is_valid(tmp_path: Path) -> None:
    dashboard = json.loads((MONITORING / "grafana" / "middleware-dashboard.json").read_text())
    assert dashboard["uid"] and dashboard["title"] and dashboard["schemaVersion"] >= 36
    panels = dashboard["panels"]
    ids = [p["id"] for p in panels]
    assert len(ids) == len(set(ids)), "panel ids must be unique"
    graphs = [p for p in panels if p["type"] != "row"]
    assert len(graphs) >= 20
    exprs = []
    for panel in graphs:
        assert panel["targets"], panel["title"]
        for target in panel["targets"]:
            assert target["expr"].strip()
            exprs.append(target["expr"])
    # Every query must be valid PromQL: promtool parses them as recording rules.
    promtool = require_tool("promtool", "apt-get install prometheus")
    rules = {
        "groups": [
            {
                "name": "dashboard",
                "rules": [
                    {"record": f"dashboard:query:{i}", "expr": e} for i, e in enumerate(exprs)
                ],
            }
        ]
    }
    path = tmp_path / "dashboard-queries.yaml"
    path.write_text(json.dumps(rules))
    result = subprocess.run(
        [promtool, "check", "rules", str(path)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


# ----------------------------------------------------------------------------- plot


def test_plot_is_drawn_from_the_engine_evaluating_the_shipped_rules(tmp_path: Path) -> None:
    """The plot backfills the incident with promtool and asks a real Prometheus for the shipped
    expressions: the blip at 1h pages no one, the incident at 3h pages, the tail tickets."""
    require_tool("promtool", "apt-get install prometheus")
    require_tool("prometheus", "apt-get install prometheus")
    out = tmp_path / "img" / "burn-rate.png"
    result = subprocess.run(
        [sys.executable, str(MONITORING / "scripts" / "plot_burn_rate.py"), "--out", str(out)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert out.stat().st_size > 20_000
    fired = dict(re.findall(r"^(page|ticket) \(\w+\): fires (.+)$", result.stdout, re.M))
    page = re.fullmatch(r"at (\d+)h(\d\d)", fired["page"])
    assert page, fired
    page_minute = int(page.group(1)) * 60 + int(page.group(2))
    # The blip is at 60-62 min; the incident starts at 180: 3 % errors pass 14.4x over the 1h
    # window after ~29 minutes, plus for: 2m.
    assert 200 <= page_minute <= 225, fired
    assert fired["ticket"] != "never"
    # The committed picture exists for the README.
    assert (MONITORING / "img" / "burn-rate.png").stat().st_size > 20_000


def test_plot_reads_the_rules_instead_of_modelling_them() -> None:
    plot = load_plot_module()
    records, alerts = plot.load_rules()
    assert {a.label for a in alerts} == {"page (critical)", "ticket (warning)"}
    for alert in alerts:
        # Recording-rule names are expanded to the rules' own expressions over raw counters.
        assert "job:http_server_requests_errors" not in alert.expr
        assert "http_server_requests_total" in alert.expr
    assert records["job:http_server_requests_errors:ratio_rate3d"].count("[3d]") == 2


def test_plot_reports_an_unwritable_target(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    result = subprocess.run(
        [
            sys.executable,
            str(MONITORING / "scripts" / "plot_burn_rate.py"),
            "--out",
            str(blocker / "x.png"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2
    assert "cannot write" in result.stderr


# ----------------------------------------------------------------------------- CloudWatch


def tofu_env() -> Dict[str, str]:
    """The provider-mirror CLI config from infra/scripts/tools.sh, on top of os.environ."""
    env = dict(os.environ)
    result = subprocess.run(
        ["bash", str(REPO / "infra" / "scripts" / "tools.sh"), "--env"],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        missing(f"infra/scripts/tools.sh --env failed: {result.stderr.strip()}")
    for line in result.stdout.splitlines():
        if line.startswith("export "):
            key, _, value = line[len("export ") :].partition("=")
            value = value.strip('"').replace("$PATH", env.get("PATH", ""))
            env[key] = value
    return env


@dataclass
class TfModule:
    """A copy of the CloudWatch module in a temporary folder, initialised against the mirror."""

    binary: str
    workdir: Path
    env: Dict[str, str]

    def run(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [self.binary, *args, "-no-color"],
            cwd=self.workdir,
            env=self.env,
            capture_output=True,
            text=True,
            check=False,
        )


@pytest.fixture(scope="module")
def tofu_module(tmp_path_factory: pytest.TempPathFactory) -> TfModule:
    env = tofu_env()
    binary = shutil.which("tofu", path=env["PATH"]) or shutil.which("terraform", path=env["PATH"])
    if binary is None:
        require_tool("tofu", "run `make tools` (infra/scripts/tools.sh)", path=env["PATH"])
    assert binary is not None
    work = tmp_path_factory.mktemp("cloudwatch")
    for tf in MONITORING.joinpath("cloudwatch").glob("*.tf"):
        shutil.copy(tf, work / tf.name)
    module = TfModule(binary=binary, workdir=work, env=env)
    init = module.run("init", "-backend=false", "-input=false")
    assert init.returncode == 0, init.stdout + init.stderr
    return module


def test_cloudwatch_module_fmt_and_validate(tofu_module: TfModule) -> None:
    fmt = tofu_module.run("fmt", "-check", "-diff", str(MONITORING / "cloudwatch"))
    assert fmt.returncode == 0, fmt.stdout + fmt.stderr
    validate = tofu_module.run("validate")
    assert validate.returncode == 0, validate.stdout + validate.stderr


PLAN_VARS = [
    "-var=log_group_name=/ecs/middleware-prod",
    "-var=alb_arn_suffix=app/middleware-prod/0123456789abcdef",
    "-var=table_name=users",
    "-var=page_sns_topic_arn=arn:aws:sns:us-east-1:123456789012:middleware-page",
    '-var=dependencies=["postgres","dynamodb","payments-api"]',
    "-var=ticket_sns_topic_arn=arn:aws:sns:us-east-1:123456789012:middleware-ticket",
    "-var=db_cluster_identifier=users-db",
    "-var=dynamodb_throttled_keys_rule_name=DynamoDBContributorInsights-PKT-users-1707744000000",
]


def plan_json(mod: TfModule, *extra: str) -> Dict[str, Any]:
    work = mod.workdir
    # Offline plan: no credentials, no API call (the module has no data source).
    (work / "provider_override.tf").write_text(
        'provider "aws" {\n  region = "us-east-1"\n  access_key = "x"\n  secret_key = "x"\n'
        "  skip_credentials_validation = true\n  skip_metadata_api_check = true\n"
        "  skip_requesting_account_id = true\n}\n"
    )
    plan = mod.run("plan", "-input=false", "-refresh=false", "-out=plan.bin", *PLAN_VARS, *extra)
    assert plan.returncode == 0, plan.stdout + plan.stderr
    show = mod.run("show", "-json", "plan.bin")
    assert show.returncode == 0, show.stderr
    data: Dict[str, Any] = json.loads(show.stdout)
    return data


def test_cloudwatch_plan_has_the_promised_alarms(tofu_module: TfModule) -> None:
    plan = plan_json(tofu_module)
    changes = plan["resource_changes"]
    assert isinstance(changes, list)
    by_type: Dict[str, int] = {}
    after: Dict[str, dict] = {}
    for change in changes:
        by_type[change["type"]] = by_type.get(change["type"], 0) + 1
        after[change["address"]] = change["change"]["after"]
    assert by_type["aws_cloudwatch_log_metric_filter"] == 9
    # 2 SLIs x 6 windows, 3 dependencies, service p99, 2 DynamoDB operations x (average latency,
    # throttle ratio), the hot-key alarm, heartbeat.
    assert by_type["aws_cloudwatch_metric_alarm"] == 12 + 3 + 1 + 2 * 2 + 1 + 1
    assert by_type["aws_cloudwatch_composite_alarm"] == 4
    assert by_type["aws_dynamodb_contributor_insights"] == 1
    assert by_type["aws_cloudwatch_event_rule"] == 2 and by_type["aws_cloudwatch_event_target"] == 2
    page = after['aws_cloudwatch_composite_alarm.slo_page["availability"]']
    assert "middleware-slo-availability-fast-long" in page["alarm_rule"]
    assert page["alarm_actions"] == ["arn:aws:sns:us-east-1:123456789012:middleware-page"]
    ticket = after['aws_cloudwatch_composite_alarm.slo_ticket["availability"]']
    assert ticket["alarm_actions"] == ["arn:aws:sns:us-east-1:123456789012:middleware-ticket"]
    fast = after['aws_cloudwatch_metric_alarm.burn_rate["availability-fast-long"]']
    assert fast["threshold"] == pytest.approx(14.4 * 0.001)
    # The same SLI as Prometheus (5xx and 429 answered by the service, from the log) plus the
    # ALB's own 5xx; never the ALB's target 4xx count, which cannot tell 429 from a 404.
    metrics = {q["metric"][0]["metric_name"] for q in fast["metric_query"] if q["metric"]}
    assert metrics == {"HTTPCode_ELB_5XX_Count", "FailedTransactions", "RequestCount"}
    # No alarm reads a statistic CloudWatch does not publish for it.
    for address, alarm in after.items():
        if alarm.get("metric_name") == "SuccessfulRequestLatency":
            assert alarm["extended_statistic"] is None, address
            assert alarm["statistic"] in ("Average", "Minimum", "Maximum", "SampleCount")
    events = after['aws_cloudwatch_event_rule.rds["page"]']
    pattern = json.loads(events["event_pattern"])
    assert pattern["source"] == ["aws.rds"] and "failure" in pattern["detail"]["EventCategories"]
    errors = after['aws_cloudwatch_log_metric_filter.this["failed-transactions"]']
    assert errors["log_group_name"] == "/ecs/middleware-prod"
    assert "$.status >= 500" in errors["pattern"]


def test_cloudwatch_module_rejects_bad_input(tofu_module: TfModule) -> None:
    bad = tofu_module.run(
        "plan",
        "-input=false",
        "-refresh=false",
        *PLAN_VARS,
        "-var=availability_slo=100",
    )
    assert bad.returncode != 0
    assert "availability_slo must be between 90 and 100" in bad.stdout + bad.stderr


def test_cloudwatch_tickets_never_go_to_the_pager_topic(tofu_module: TfModule) -> None:
    without = [v for v in PLAN_VARS if "ticket_sns_topic_arn" not in v]
    plan = tofu_module.run("plan", "-input=false", "-refresh=false", "-out=t.bin", *without)
    assert plan.returncode == 0, plan.stdout + plan.stderr
    show = tofu_module.run("show", "-json", "t.bin")
    changes = json.loads(show.stdout)["resource_changes"]
    page = "arn:aws:sns:us-east-1:123456789012:middleware-page"
    for change in changes:
        after = change["change"]["after"] or {}
        if "TICKET" in str(after.get("alarm_description", "")):
            assert page not in (after.get("alarm_actions") or []), change["address"]
    same = tofu_module.run(
        "plan", "-input=false", "-refresh=false", *without, f"-var=ticket_sns_topic_arn={page}"
    )
    assert same.returncode != 0 and "tickets would page" in same.stdout + same.stderr


def test_cloudwatch_module_create_false_plans_nothing(tofu_module: TfModule) -> None:
    plan = plan_json(tofu_module, "-var=create=false")
    assert not plan.get("resource_changes")


def test_section_1_exposes_the_outputs_the_module_is_wired_to() -> None:
    """The README wires the module to these section-1 module outputs; catch a rename there."""
    wiring = {
        "service": "log_group_name",
        "edge": "arn_suffix",
        "data": "table_name",
        "observability": "sns_topic_arn",
    }
    readme = (MONITORING / "README.md").read_text()
    for module, output in wiring.items():
        assert f"module.{module}.{output}" in readme
        path = REPO / "infra" / "modules" / module / "outputs.tf"
        if not path.exists():
            missing(f"section 1 has no {path.relative_to(REPO)} yet")
        outputs = set(re.findall(r'^output "([^"]+)"', path.read_text(), flags=re.M))
        assert output in outputs, f"infra/modules/{module} no longer outputs {output}"
