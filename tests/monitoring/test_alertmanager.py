"""Alertmanager: the config validates, routes as the plan says, holds no secret, and a database
outage pages once (inhibitions checked against a real Alertmanager)."""

from __future__ import annotations

import json
import re
import subprocess
import time
import urllib.request
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Dict, Iterator, List

import pytest
import yaml

from tests.support.localaws import free_port
from tests.support.tools import require_tool

CONFIG = Path(__file__).resolve().parents[2] / "monitoring" / "alertmanager" / "alertmanager.yml"


def test_amtool_check_config() -> None:
    amtool = require_tool("amtool", "apt-get install prometheus-alertmanager")
    result = subprocess.run(
        [amtool, "check-config", str(CONFIG)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


@pytest.mark.parametrize(
    ("labels", "receiver"),
    [
        (["alertname=PostgresDown", "severity=critical"], "pager"),
        (["alertname=MiddlewareErrorBudgetBurn", "severity=warning"], "tickets"),
        (["alertname=SecurityWafBlockedSpike", "severity=warning"], "security"),
        (["alertname=MonitoringWatchdog", "severity=info"], "deadmansswitch"),
        (["alertname=PostgresCpuHigh", "severity=info"], "blackhole"),
        # Vendor catalogue routes: a hard vendor's page pages, its ticket tickets; a degradable
        # vendor never pages, even if a rule said critical.
        (
            ["alertname=ThirdPartyApiUnavailable", "severity=critical", "dependency=kyc-api"],
            "pager",
        ),
        (
            ["alertname=ThirdPartyApiLatencyHigh", "severity=warning", "dependency=kyc-api"],
            "tickets",
        ),
        (
            ["alertname=ThirdPartyApiUnavailable", "severity=critical", "dependency=notify-api"],
            "tickets",
        ),
        (["alertname=ThirdPartyApiNotInCatalogue", "severity=warning", "dependency=x"], "tickets"),
    ],
)
def test_routes(labels: List[str], receiver: str) -> None:
    amtool = require_tool("amtool", "apt-get install prometheus-alertmanager")
    result = subprocess.run(
        [amtool, "config", "routes", "test", f"--config.file={CONFIG}", *labels],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [receiver]


def test_config_holds_no_secret() -> None:
    text = CONFIG.read_text()
    config = yaml.safe_load(text)
    for receiver in config["receivers"]:
        for key in ("pagerduty_configs", "slack_configs", "opsgenie_configs"):
            for entry in receiver.get(key, []):
                inline = {"routing_key", "service_key", "api_url", "api_key"} & set(entry)
                assert not inline, f"{receiver['name']}: {inline} must be read from a *_file"
        for hook in receiver.get("webhook_configs", []):
            assert "credentials_file" in hook["http_config"]["authorization"]
            assert not re.search(r"token|key|secret|hooks\.slack\.com", hook["url"], re.I)
    assert "hooks.slack.com" not in text
    assert "global" not in config or "slack_api_url" not in config["global"]


class Alertmanager:
    def __init__(self, url: str) -> None:
        self.url = url

    def post(self, alerts: List[Dict[str, Any]]) -> None:
        now = datetime.now(timezone.utc)
        body = [
            {
                "labels": a,
                "annotations": {"summary": a["alertname"]},
                "startsAt": now.isoformat(),
                "endsAt": (now + timedelta(hours=1)).isoformat(),
            }
            for a in alerts
        ]
        request = urllib.request.Request(
            f"{self.url}/api/v2/alerts",
            data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=5) as response:
            assert response.status == 200

    def alerts(self) -> List[Dict[str, Any]]:
        with urllib.request.urlopen(f"{self.url}/api/v2/alerts", timeout=5) as response:
            data: List[Dict[str, Any]] = json.load(response)
            return data


@pytest.fixture
def alertmanager(tmp_path: Path) -> Iterator[Alertmanager]:
    binary = require_tool("prometheus-alertmanager", "apt-get install prometheus-alertmanager")
    port = free_port()
    log = (tmp_path / "alertmanager.log").open("w")
    # The real config: its receivers point at hosts that do not resolve here, so notifications
    # fail (logged) while routing and inhibition work exactly as in production.
    proc = subprocess.Popen(
        [
            binary,
            f"--config.file={CONFIG}",
            f"--storage.path={tmp_path / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
            "--cluster.listen-address=",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    am = Alertmanager(f"http://127.0.0.1:{port}")
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                with urllib.request.urlopen(f"{am.url}/-/ready", timeout=1):
                    break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    log.flush()
                    output = (tmp_path / "alertmanager.log").read_text()
                    pytest.fail(f"alertmanager did not start:\n{output}")
                time.sleep(0.2)
        yield am
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def states(am: Alertmanager, expected: int) -> Dict[str, List[str]]:
    """alertname/severity/extra -> list of alertnames inhibiting it ([] = it notifies)."""
    deadline = time.monotonic() + 10
    while True:
        alerts = am.alerts()
        if len(alerts) >= expected or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    by_fp = {a["fingerprint"]: a["labels"]["alertname"] for a in alerts}
    out: Dict[str, List[str]] = {}
    for a in alerts:
        labels = a["labels"]
        key = "/".join(
            [labels["alertname"], labels["severity"]]
            + [labels[k] for k in ("route", "dependency") if k in labels]
        )
        out[key] = sorted(by_fp.get(fp, fp) for fp in a["status"]["inhibitedBy"])
    return out


def test_database_outage_pages_once(alertmanager: Alertmanager) -> None:
    outage = [
        {"alertname": "PostgresDown", "severity": "critical", "job": "postgres-exporter"},
        {"alertname": "PostgresExporterCannotConnect", "severity": "warning", "role": "primary"},
        # The external checks are never inhibited: they are the one view that does not depend
        # on our own diagnosis being right.
        {"alertname": "MiddlewareEndpointProbeFailing", "severity": "critical"},
        {"alertname": "MiddlewareSyntheticTransactionFailing", "severity": "critical"},
        {"alertname": "MiddlewareErrorBudgetBurn", "severity": "critical", "job": "middleware"},
        {"alertname": "MiddlewareLatencyBudgetBurn", "severity": "critical", "job": "middleware"},
        {"alertname": "MiddlewareDbPoolExhausted", "severity": "warning", "instance": "task-a"},
        {
            "alertname": "MiddlewareDependencyErrorRateHigh",
            "severity": "warning",
            "dependency": "postgres",
        },
        # A different dependency failing at the same time is NOT explained by the database.
        {
            "alertname": "MiddlewareDependencyErrorRateHigh",
            "severity": "warning",
            "dependency": "payments-api",
        },
    ] + [
        {"alertname": "MiddlewareRouteErrorRateHigh", "severity": "warning", "route": route}
        for route in ("/user", "/user/export", "/user/search")
    ]
    alertmanager.post(outage)
    got = states(alertmanager, len(outage))
    notifying = sorted(k for k, by in got.items() if not by)
    assert notifying == [
        "MiddlewareDependencyErrorRateHigh/warning/payments-api",
        "MiddlewareEndpointProbeFailing/critical",
        "MiddlewareSyntheticTransactionFailing/critical",
        "PostgresDown/critical",
    ]
    assert got["PostgresExporterCannotConnect/warning"] == ["PostgresDown"]
    assert got["MiddlewareErrorBudgetBurn/critical"] == ["PostgresDown"]
    assert got["MiddlewareRouteErrorRateHigh/warning//user/export"] == ["PostgresDown"]


def test_critical_inhibits_the_warning_of_the_same_alert_only(alertmanager: Alertmanager) -> None:
    alertmanager.post(
        [
            {"alertname": "LogPipelineIngestionLagHigh", "severity": "critical"},
            {"alertname": "LogPipelineIngestionLagHigh", "severity": "warning"},
            {"alertname": "PostgresTxidWraparoundRisk", "severity": "warning", "datname": "users"},
        ]
    )
    got = states(alertmanager, 3)
    assert got["LogPipelineIngestionLagHigh/warning"] == ["LogPipelineIngestionLagHigh"]
    assert got["LogPipelineIngestionLagHigh/critical"] == []
    assert got["PostgresTxidWraparoundRisk/warning"] == []
