"""The rules against real engines, not typed-in series.

A throwaway PostgreSQL 15, Debian's postgres_exporter 0.11 with our custom queries, and
Debian's Prometheus 2.42 loading our rule files; then the /user service (against moto), the
blackbox exporter with our modules and the synthetic-transaction prober, scraped by the same
kind of Prometheus. Every server listens on 127.0.0.1 and is stopped by its pid.

Time scaling (test copy of the rules only): scrape and evaluation every second, every `for:`
and `keep_firing_for:` divided by 300 (at least 1 s), so `for: 10m` waits 2 s. Two thresholds
are wall-clock seconds that cannot be induced faster, and only these are lowered, each by an
exact text replacement that must match once: PostgresLongRunningTransaction (300 s -> 3 s) and
PostgresLockWaitsHigh (30 s -> 2 s). Range selectors are not scaled: the tests start from an
empty TSDB, so a [5m] window holds only what this test produced.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Dict, Iterator, List, Set

import pytest
import yaml

from tests.monitoring.engines import Postgres, Prometheus, Server, http_get
from tests.support.localaws import MotoServer, free_port
from tests.support.tools import require_tool

pytestmark = [pytest.mark.integration, pytest.mark.slow]

MONITORING = Path(__file__).resolve().parents[2] / "monitoring"
PROM = MONITORING / "prometheus"
RULE_FILES = [PROM / "recording_rules.yaml", PROM / "alerts.yaml", PROM / "vendor_alerts.yaml"]
QUERIES = PROM / "postgres_exporter_queries.yaml"
SCALE = 300
THRESHOLD_OVERRIDES = {
    "PostgresLongRunningTransaction": ("> 300", "> 3"),
    "PostgresLockWaitsHigh": (
        "pg_lock_waits_max_wait_seconds) > 30",
        "pg_lock_waits_max_wait_seconds) > 2",
    ),
}
UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400}


def seconds(duration: str) -> float:
    total = 0.0
    for value, unit in re.findall(r"(\d+)(ms|s|m|h|d)", duration):
        total += int(value) * UNITS[unit]
    return total


def scaled_rules(out_dir: Path) -> List[Path]:
    """Test copies of the shipped rule files: `for:` / `keep_firing_for:` divided by SCALE."""
    used: Set[str] = set()
    paths = []
    for path in RULE_FILES:
        doc = yaml.safe_load(path.read_text())
        for group in doc["groups"]:
            for rule in group["rules"]:
                for key in ("for", "keep_firing_for"):
                    if key in rule:
                        rule[key] = f"{max(1, round(seconds(rule[key]) / SCALE))}s"
                old_new = THRESHOLD_OVERRIDES.get(rule.get("alert", ""))
                if old_new:
                    assert rule["expr"].count(old_new[0]) == 1, (rule["alert"], old_new[0])
                    rule["expr"] = rule["expr"].replace(*old_new)
                    used.add(rule["alert"])
        target = out_dir / path.name
        target.write_text(yaml.safe_dump(doc, sort_keys=False))
        paths.append(target)
    assert used == set(THRESHOLD_OVERRIDES), "a threshold override no longer matches its rule"
    return paths


def prometheus_config(rule_paths: List[Path], scrape: List[Dict[str, Any]]) -> str:
    return yaml.safe_dump(
        {
            "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
            "rule_files": [str(p) for p in rule_paths],
            "scrape_configs": scrape,
        },
        sort_keys=False,
    )


def start_prometheus(workdir: Path, scrape: List[Dict[str, Any]]) -> Prometheus:
    binary = require_tool("prometheus", "apt-get install prometheus")
    rules = workdir / "rules"
    rules.mkdir()
    config = workdir / "prometheus.yml"
    config.write_text(prometheus_config(scaled_rules(rules), scrape))
    return Prometheus(
        "prometheus",
        [
            binary,
            f"--config.file={config}",
            f"--storage.tsdb.path={workdir / 'tsdb'}",
            "--web.listen-address=127.0.0.1:{port}",
            "--web.enable-lifecycle",
        ],
        "/-/ready",
        workdir,
    ).start()


# ----------------------------------------------------------------------------- PostgreSQL


class PgStack:
    def __init__(self, pg: Postgres, exporter: Server, prom: Prometheus) -> None:
        self.pg = pg
        self.exporter = exporter
        self.prom = prom
        self.baseline: List[Dict[str, Any]] = []


@pytest.fixture(scope="module")
def pg_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PgStack]:
    binaries = {
        name: require_tool(name, "PostgreSQL 15 server binaries (machine image)")
        for name in ("initdb", "postgres", "psql")
    }
    exporter_bin = require_tool(
        "prometheus-postgres-exporter", "apt-get install prometheus-postgres-exporter"
    )
    require_tool("setpriv", "util-linux")
    workdir = tmp_path_factory.mktemp("pg-stack")
    pg = Postgres(binaries, max_connections=20)
    exporter = prom = None
    try:
        pg.start()
        pg.psql("CREATE TABLE accounts (id int PRIMARY KEY, balance int)")
        pg.psql("INSERT INTO accounts SELECT g, 0 FROM generate_series(1, 10) g")
        exporter = Server(
            "postgres-exporter",
            [
                exporter_bin,
                "--web.listen-address=127.0.0.1:{port}",
                f"--extend.query-path={QUERIES}",
            ],
            "/metrics",
            workdir,
            env={**os.environ, "DATA_SOURCE_NAME": pg.dsn},
        ).start()
        prom = start_prometheus(
            workdir,
            [
                {
                    "job_name": "postgres-exporter",
                    "static_configs": [
                        {"targets": [f"127.0.0.1:{exporter.port}"], "labels": {"role": "primary"}}
                    ],
                }
            ],
        )
        stack = PgStack(pg, exporter, prom)
        # A quiet database for a few evaluations: the baseline every induced case starts from.
        time.sleep(6)
        stack.baseline = prom.alerts()
        yield stack
    finally:
        for server in (prom, exporter):
            if server is not None:
                server.stop()
        pg.stop()


def metric_names(exposition: str) -> Set[str]:
    return {
        line.split("{")[0].split(" ")[0]
        for line in exposition.splitlines()
        if line and not line.startswith("#")
    }


def rule_metric_names(prefix: str) -> Set[str]:
    names: Set[str] = set()
    for path in RULE_FILES:
        for group in yaml.safe_load(path.read_text())["groups"]:
            for rule in group["rules"]:
                names.update(re.findall(rf"\b{prefix}[a-z0-9_]+", rule["expr"]))
    return names


def cloudwatch_exporter_names() -> Set[str]:
    """The names cloudwatch_exporter gives every metric and statistic our config requests.

    Its code: safeName(lower(namespace) + "_" + toSnakeCase(metric)) + "_" + snake(statistic),
    where toSnakeCase only splits a lower-case letter or digit from the next capital
    (CPUUtilization -> cpuutilization).
    """

    def snake(text: str) -> str:
        return re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", text).lower()

    config = yaml.safe_load((PROM / "cloudwatch_exporter.yml").read_text())
    names = set()
    for metric in config["metrics"]:
        base = re.sub(r"[^a-z0-9_]", "_", metric["aws_namespace"].lower())
        stats = metric.get("aws_statistics", []) + metric.get("aws_extended_statistics", [])
        for stat in stats:
            names.add(f"{base}_{snake(metric['aws_metric_name'])}_{snake(stat)}")
    return names


def test_a_quiet_database_raises_no_postgres_alert(pg_stack: PgStack) -> None:
    noisy = [
        a["labels"]["alertname"]
        for a in pg_stack.baseline
        if a["labels"]["alertname"].startswith("Postgres")
    ]
    assert noisy == [], f"alerts on an idle database: {noisy}"


def test_custom_queries_load_and_run_without_error(pg_stack: PgStack) -> None:
    pg_stack.pg.psql("SELECT pg_create_physical_replication_slot('abandoned_cdc', true)")
    text = pg_stack.exporter.get("/metrics")
    assert re.search(r"^pg_exporter_user_queries_load_error\{[^}]*\} 0$", text, re.M), text[:500]
    assert re.search(r"^pg_exporter_last_scrape_error 0$", text, re.M)
    for query in yaml.safe_load(QUERIES.read_text()):
        assert re.search(rf"^{query}_", text, re.M), f"custom query {query} produced no metric"
    assert re.search(r'^pg_replication_slot_active\{[^}]*slot_name="abandoned_cdc"', text, re.M)


def test_every_exporter_metric_the_rules_read_exists(pg_stack: PgStack) -> None:
    pg_stack.pg.psql(
        "SELECT pg_create_physical_replication_slot('probe_slot', true) "
        "WHERE NOT EXISTS (SELECT 1 FROM pg_replication_slots WHERE slot_name = 'probe_slot')"
    )
    real = metric_names(pg_stack.exporter.get("/metrics"))
    wanted = rule_metric_names("pg_")
    assert wanted, "the rules read no pg_* metric?"
    assert sorted(wanted - real) == [], "rules read pg_* metrics postgres_exporter does not expose"
    # Everything else the PostgreSQL/DynamoDB rules read comes from CloudWatch: each aws_* name
    # must be one cloudwatch_exporter.yml actually requests (metric and statistic).
    cloudwatch = (
        rule_metric_names("aws_")
        | rule_metric_names("ecs_containerinsights_")
        | rule_metric_names("route53check_")
    )
    assert cloudwatch, "the rules read no CloudWatch metric?"
    unrequested = sorted(cloudwatch - cloudwatch_exporter_names())
    assert unrequested == [], "rules read CloudWatch metrics cloudwatch_exporter.yml never requests"


def test_every_rule_evaluates_on_the_real_engine(pg_stack: PgStack) -> None:
    assert pg_stack.prom.rule_health() == []


def test_connections_near_max_connections_raise_the_alert(pg_stack: PgStack) -> None:
    sessions = [pg_stack.pg.session() for _ in range(16)]  # + the exporter: 17 of 20
    try:
        for session in sessions:
            assert session.stdin is not None
            session.stdin.write("SELECT 1;\n")
            session.stdin.flush()
        pg_stack.prom.wait_for_alert("PostgresConnectionsNearMax", timeout=45)
    finally:
        for session in sessions:
            session.terminate()
            session.wait(timeout=10)


def test_a_long_running_transaction_raises_the_alert(pg_stack: PgStack) -> None:
    session = pg_stack.pg.session()
    try:
        assert session.stdin is not None
        session.stdin.write("BEGIN; SELECT txid_current();\n")
        session.stdin.flush()
        alert = pg_stack.prom.wait_for_alert("PostgresLongRunningTransaction", timeout=45)
        assert alert["labels"]["datname"] == "postgres"
    finally:
        session.terminate()
        session.wait(timeout=10)


def test_a_blocked_lock_raises_the_alert(pg_stack: PgStack) -> None:
    holder, waiter = pg_stack.pg.session(), pg_stack.pg.session()
    try:
        assert holder.stdin is not None and waiter.stdin is not None
        holder.stdin.write("BEGIN; LOCK TABLE accounts IN ACCESS EXCLUSIVE MODE;\n")
        holder.stdin.flush()
        time.sleep(0.5)
        waiter.stdin.write("UPDATE accounts SET balance = balance + 1 WHERE id = 1;\n")
        waiter.stdin.flush()
        pg_stack.prom.wait_for_alert("PostgresLockWaitsHigh", timeout=45)
        blocked = pg_stack.prom.query("pg_lock_waits_blocked_sessions")
        assert blocked and float(blocked[0]["value"][1]) >= 1
    finally:
        for session in (holder, waiter):
            session.terminate()
            session.wait(timeout=10)


def test_an_abandoned_replication_slot_raises_the_alert(pg_stack: PgStack) -> None:
    pg_stack.pg.psql(
        "SELECT pg_create_physical_replication_slot('abandoned_cdc', true) "
        "WHERE NOT EXISTS (SELECT 1 FROM pg_replication_slots WHERE slot_name = 'abandoned_cdc')"
    )
    pg_stack.prom.wait_for_alert(
        "PostgresReplicationSlotRetainingWal", slot_name="abandoned_cdc", timeout=60
    )


def test_an_autovacuum_backlog_raises_the_alert(pg_stack: PgStack) -> None:
    pg_stack.pg.psql(
        "CREATE TABLE churn (id int) WITH (autovacuum_enabled = false);"
        "INSERT INTO churn SELECT generate_series(1, 5000);"
        "DELETE FROM churn;"
    )
    pg_stack.prom.wait_for_alert("PostgresAutovacuumStalled", timeout=60)


# ----------------------------------------------------------------------------- /user probes


class Sandbox(BaseHTTPRequestHandler):
    """A vendor sandbox that wants a bearer token: 200 with it, 401 without."""

    token = "sandbox-test-token"

    def do_GET(self) -> None:
        ok = self.headers.get("Authorization") == f"Bearer {self.token}"
        self.send_response(200 if ok else 401)
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        return


class ProbeStack:
    def __init__(self, app: Any, prom: Prometheus, blackbox: Server) -> None:
        self.app = app
        self.prom = prom
        self.blackbox = blackbox


@pytest.fixture(scope="module")
def probe_stack(
    moto_server: MotoServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ProbeStack]:
    blackbox_bin = require_tool(
        "prometheus-blackbox-exporter", "apt-get install prometheus-blackbox-exporter"
    )
    from tests.app.conftest import APP_DIR, start_app, wait_http

    workdir = tmp_path_factory.mktemp("probe-stack")
    env = {**os.environ, **moto_server.env()}
    created = subprocess.run(
        [sys.executable, str(APP_DIR / "create_table.py"), "users"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert created.returncode == 0, created.stderr
    app_port = free_port()
    app = start_app(env, workdir / "logs", app_port)
    base = f"http://127.0.0.1:{app_port}"
    sandbox = ThreadingHTTPServer(("127.0.0.1", 0), Sandbox)
    threading.Thread(target=sandbox.serve_forever, daemon=True).start()
    sandbox_url = f"http://127.0.0.1:{sandbox.server_port}/ping"
    servers: List[Server] = []
    try:
        wait_http(f"{base}/healthz", app)
        blackbox = Server(
            "blackbox",
            [
                blackbox_bin,
                f"--config.file={MONITORING / 'blackbox' / 'blackbox.yml'}",
                "--web.listen-address=127.0.0.1:{port}",
            ],
            "/-/healthy",
            workdir,
        ).start()
        servers.append(blackbox)
        prober = MONITORING / "synthetics" / "user_transaction.py"
        probers = []
        for region, token in (("eu-west-1", Sandbox.token), ("us-east-1", "wrong")):
            probers.append(
                Server(
                    f"synthetics-{region}",
                    [
                        sys.executable,
                        str(prober),
                        f"--base-url={base}",
                        f"--region={region}",
                        "--listen=127.0.0.1:{port}",
                        "--interval=1",
                        "--timeout=2",
                        f"--vendor-sandbox=kyc-api={sandbox_url}",
                    ],
                    "/metrics",
                    workdir,
                    env={**os.environ, "SANDBOX_TOKEN_KYC_API": token},
                ).start()
            )
        servers.extend(probers)
        probe_jobs = [
            {
                "job_name": "blackbox-middleware",
                "metrics_path": "/probe",
                "params": {"module": [module]},
                "static_configs": [{"targets": [target]}],
                # The standard blackbox relabelling: the target becomes a parameter and the
                # instance label, the exporter the address scraped.
                "relabel_configs": [
                    {"source_labels": ["__address__"], "target_label": "__param_target"},
                    {"source_labels": ["__param_target"], "target_label": "instance"},
                    {"target_label": "__address__", "replacement": f"127.0.0.1:{blackbox.port}"},
                    {"target_label": "module", "replacement": module},
                ],
            }
            for module, target in (
                ("healthz_plain", f"{base}/healthz"),
                ("user_post_plain", f"{base}/user"),
            )
        ]
        # Two jobs may not share a name: one per module, the same job label via relabelling.
        for index, job in enumerate(probe_jobs):
            job["job_name"] = f"blackbox-middleware-{index}"
            relabel: List[Dict[str, Any]] = job["relabel_configs"]  # type: ignore[assignment]
            relabel.append({"target_label": "job", "replacement": "blackbox-middleware"})
        synthetics = {
            "job_name": "synthetics",
            "static_configs": [{"targets": [f"127.0.0.1:{p.port}" for p in probers]}],
        }
        prom = start_prometheus(workdir, [*probe_jobs, synthetics])
        servers.append(prom)
        yield ProbeStack(app, prom, blackbox)
    finally:
        for server in reversed(servers):
            server.stop()
        sandbox.shutdown()
        if app.poll() is None:
            app.terminate()
            app.wait(timeout=10)


def wait_value(
    prom: Prometheus, expr: str, expected: float, series: int = 1, timeout: float = 30
) -> None:
    """Wait until `expr` has exactly `series` series, all equal to `expected`.

    The series count is part of the wait, not a later assert: each target is scraped on its own
    schedule, so right after the first scrape only some of the series exist yet.
    """
    deadline = time.monotonic() + timeout
    result: List[Dict[str, Any]] = []
    while time.monotonic() < deadline:
        result = prom.query(expr)
        if len(result) == series and all(float(r["value"][1]) == expected for r in result):
            return
        time.sleep(0.5)
    raise AssertionError(
        f"{expr}: wanted {series} series == {expected} within {timeout}s, got {result}"
    )


def test_probes_and_the_scripted_transaction_succeed_against_the_service(
    probe_stack: ProbeStack,
) -> None:
    prom = probe_stack.prom
    wait_value(prom, 'probe_success{job="blackbox-middleware",module="user_post_plain"}', 1)
    wait_value(prom, 'probe_success{job="blackbox-middleware",module="healthz_plain"}', 1)
    # One series per prober region.
    wait_value(prom, 'synthetic_transaction_success{check="user-post-get"}', 1, series=2)
    # The vendor sandbox: the region with the right token passes, the one with a stale token
    # fails, and only that one.
    wait_value(prom, 'synthetic_transaction_success{check="vendor-sandbox",region="eu-west-1"}', 1)
    wait_value(prom, 'synthetic_transaction_success{check="vendor-sandbox",region="us-east-1"}', 0)
    assert prom.rule_health() == []
    names = {a["labels"]["alertname"] for a in prom.alerts()}
    assert "MiddlewareEndpointProbeFailing" not in names
    assert "MiddlewareSyntheticTransactionFailing" not in names


def test_the_service_going_down_raises_the_probe_and_transaction_alerts(
    probe_stack: ProbeStack,
) -> None:
    probe_stack.app.terminate()
    probe_stack.app.wait(timeout=10)
    prom = probe_stack.prom
    wait_value(prom, 'probe_success{job="blackbox-middleware",module="user_post_plain"}', 0)
    # avg_over_time over 5m of a series this test started: fires once failures outnumber the
    # successes seen so far.
    prom.wait_for_alert("MiddlewareEndpointProbeFailing", timeout=90)
    alert = prom.wait_for_alert("MiddlewareSyntheticTransactionFailing", timeout=90)
    assert alert["labels"]["severity"] in ("critical", "warning")
    prom.wait_for_alert("MiddlewareSyntheticTransactionFailing", timeout=90, severity="critical")
    assert http_get(probe_stack.blackbox.url + "/-/healthy")
