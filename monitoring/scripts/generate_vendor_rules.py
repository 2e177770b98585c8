"""Generate the per-vendor alert rules and Alertmanager routes from monitoring/vendors.yaml.

Writes prometheus/vendor_alerts.yaml and the block between the GENERATED markers of
alertmanager/alertmanager.yml. With --check it writes nothing and exits 1 when either file is
not what the catalogue generates (the lint step), so nobody edits the generated rules by hand.

Exit codes: 0 ok, 1 stale (--check), 2 bad catalogue or unwritable output.

Usage: python monitoring/scripts/generate_vendor_rules.py [--check] [--catalogue PATH]
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
from pathlib import Path
from typing import Any, Dict, List, NamedTuple

import yaml

MONITORING = Path(__file__).resolve().parents[1]
CATALOGUE = MONITORING / "vendors.yaml"
RULES_OUT = MONITORING / "prometheus" / "vendor_alerts.yaml"
ALERTMANAGER = MONITORING / "alertmanager" / "alertmanager.yml"
BEGIN = "    # BEGIN GENERATED vendor routes (scripts/generate_vendor_rules.py; do not edit)\n"
END = "    # END GENERATED vendor routes\n"
RUNBOOK = "https://github.com/somedomain/sre-monorepo/blob/main/monitoring/runbook.md#alert-name-"
WINDOWS = {"1d": "1d", "30d": "30d"}
NAME_RE = re.compile(r"^[a-z][a-z0-9-]{1,40}$")


class CatalogueError(Exception):
    """The catalogue is malformed; the message names the vendor and the field."""


class Vendor(NamedTuple):
    name: str
    hard: bool
    availability: float
    p99: float
    timeout: float
    max_attempts: int
    budget_ratio: float
    quota_limit: int
    quota_window: str
    min_rps: float
    fallback: str
    status_page: str
    escalation: str


def _field(entry: Dict[str, Any], key: str, kind: type, where: str) -> Any:
    if key not in entry:
        raise CatalogueError(f"{where}: missing field '{key}'")
    value = entry[key]
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
        raise CatalogueError(f"{where}: '{key}' must be {kind.__name__}, got {value!r}")
    return value


def parse(doc: Any) -> tuple[List[str], List[Vendor]]:
    """Validate the catalogue document and return (internal dependencies, vendors)."""
    if not isinstance(doc, dict) or not isinstance(doc.get("vendors"), list) or not doc["vendors"]:
        raise CatalogueError("catalogue: needs a non-empty 'vendors' list")
    internal = doc.get("internal", [])
    if not isinstance(internal, list) or not all(isinstance(i, str) for i in internal):
        raise CatalogueError("catalogue: 'internal' must be a list of dependency names")
    vendors: List[Vendor] = []
    for index, entry in enumerate(doc["vendors"]):
        where = f"vendors[{index}]"
        if not isinstance(entry, dict):
            raise CatalogueError(f"{where}: must be a mapping")
        name = _field(entry, "name", str, where)
        where = f"vendor {name}"
        if not NAME_RE.match(name):
            raise CatalogueError(f"{where}: name must match {NAME_RE.pattern}")
        criticality = _field(entry, "criticality", str, where)
        if criticality not in ("hard", "soft"):
            raise CatalogueError(f"{where}: criticality must be hard or soft, got {criticality!r}")
        sla = _field(entry, "sla", dict, where)
        retry = _field(entry, "retry", dict, where)
        quota = _field(entry, "quota", dict, where)
        vendor = Vendor(
            name=name,
            hard=criticality == "hard",
            availability=_field(sla, "availability", float, f"{where} sla"),
            p99=_field(sla, "latency_p99_seconds", float, f"{where} sla"),
            timeout=_field(entry, "timeout_seconds", float, where),
            max_attempts=_field(retry, "max_attempts", int, f"{where} retry"),
            budget_ratio=_field(retry, "budget_ratio", float, f"{where} retry"),
            quota_limit=_field(quota, "limit", int, f"{where} quota"),
            quota_window=_field(quota, "window", str, f"{where} quota"),
            min_rps=_field(entry, "min_rps", float, where),
            fallback=_field(entry, "fallback", str, where),
            status_page=_field(entry, "status_page", str, where),
            escalation=_field(entry, "escalation", str, where),
        )
        if not 90 <= vendor.availability < 100:
            raise CatalogueError(f"{where}: sla availability must be in [90, 100)")
        if vendor.timeout <= vendor.p99:
            raise CatalogueError(
                f"{where}: timeout_seconds ({vendor.timeout}) must exceed the SLA p99 "
                f"({vendor.p99}), or the client cuts off latency the contract allows"
            )
        if not 1.0 <= vendor.budget_ratio <= vendor.max_attempts:
            raise CatalogueError(f"{where}: retry budget_ratio must be in [1, max_attempts]")
        if vendor.quota_window not in WINDOWS or vendor.quota_limit <= 0:
            raise CatalogueError(f"{where}: quota needs a positive limit and window 1d or 30d")
        if name in internal or name in {v.name for v in vendors}:
            raise CatalogueError(f"{where}: duplicate dependency name")
        vendors.append(vendor)
    return internal, vendors


def _alert(
    name: str, expr: str, duration: str, severity: str, summary: str, desc: str, vendor: str = ""
) -> Dict:
    # The dependency label repeats what the expression already returns; it keeps the per-vendor
    # copies of one alert distinct rules (promtool's duplicate-rule lint) and routable.
    labels = {"severity": severity, **({"dependency": vendor} if vendor else {})}
    return {
        "alert": name,
        "expr": expr,
        "for": duration,
        "labels": labels,
        "annotations": {
            "summary": summary,
            "description": desc,
            "runbook_url": RUNBOOK + name.lower(),
        },
    }


def _num(value: float) -> str:
    """A threshold as PromQL text, without float noise (0.1 % of 1.44 is '0.0144')."""
    return format(round(value, 10), "g")


def vendor_rules(vendor: Vendor) -> List[Dict[str, Any]]:
    sel = f'job="middleware",dependency="{vendor.name}"'
    page = "critical" if vendor.hard else "warning"
    kind = "hard dependency" if vendor.hard else "degradable dependency"
    contact = (
        f"Fallback: {vendor.fallback}. Status: {vendor.status_page}. "
        f"Escalation: {vendor.escalation}."
    )
    # Burn of the vendor's own contract: 14.4x its SLA error budget over 1h and 5m (the fast
    # page of the SRE workbook), so the threshold follows the contract, not a house number.
    budget = (100 - vendor.availability) / 100
    burn = _num(14.4 * budget)
    floor = _num(vendor.min_rps)
    rules = [
        _alert(
            "ThirdPartyApiUnavailable",
            f"(\n  dependency:dependency_requests_errors:ratio_rate1h{{{sel}}} > {burn}\n"
            f"  and\n  dependency:dependency_requests_errors:ratio_rate5m{{{sel}}} > {burn}\n)\n"
            f"and\ndependency:dependency_requests:rate5m{{{sel}}} > {floor}\n",
            "2m",
            page,
            "A third-party API fails or is short-circuited far beyond its contract.",
            f"{{{{ $labels.dependency }}}} ({kind}, SLA {vendor.availability} %) fails, times "
            f"out or is short-circuited on more than {_percent(14.4 * budget)} of calls over 1h "
            f"and 5m (14.4x its contract budget). {contact}",
            vendor.name,
        ),
        _alert(
            "ThirdPartyApiCredentialsRejected",
            f"sum by (job, dependency) (rate(dependency_requests_total{{{sel},"
            f'outcome="auth_error"}}[5m]))\n/\n'
            f"dependency:dependency_requests:rate5m{{{sel}}}\n> 0.1\n",
            "5m",
            page,
            "A third-party API rejects our credentials (401/403).",
            f"More than 10 % of calls to {{{{ $labels.dependency }}}} get 401/403: the API key "
            f"or client certificate expired, was rotated on one side only, or lost a scope. "
            f"{contact}",
            vendor.name,
        ),
        _alert(
            "ThirdPartyApiLatencyHigh",
            f'dependency_quantile:dependency_request_duration_seconds:histogram_quantile{{{sel},quantile="0.99"}}'
            f" > {_num(vendor.p99)}\n"
            f"and on (job, dependency)\ndependency:dependency_requests:rate5m{{{sel}}} > {floor}\n",
            "15m",
            "warning",
            "A third-party API answers slower than its contract.",
            f"The p99 of {{{{ $labels.dependency }}}} is above the contract's "
            f"{_num(vendor.p99)} s (client timeout {_num(vendor.timeout)} s) with more than "
            f"{floor} calls/s. {contact}",
            vendor.name,
        ),
        _alert(
            "ThirdPartyApiRetryAmplification",
            f"sum by (job, dependency) (rate(dependency_requests_total{{{sel},"
            f'outcome!="circuit_open"}}[10m]))\n/\n'
            f"sum by (job, dependency) (rate(dependency_calls_total{{{sel}}}[10m]))\n"
            f"> {_num(vendor.budget_ratio)}\nand on (job, dependency)\n"
            f"sum by (job, dependency) (rate(dependency_calls_total{{{sel}}}[10m])) > {floor}\n",
            "10m",
            "warning",
            "Retries multiply the load we send to a third-party API.",
            f"We send {{{{ $labels.dependency }}}} more than {_num(vendor.budget_ratio)} attempts "
            f"per logical call (retry budget; at most {vendor.max_attempts} attempts per call): "
            f"retries amplify its outage and spend the contract quota. {contact}",
            vendor.name,
        ),
    ]
    quota = (
        f"sum by (job, dependency) (increase(dependency_requests_total{{{sel},"
        f'outcome!="circuit_open"}}[{vendor.quota_window}]))\n/ {vendor.quota_limit}\n'
    )
    window = "day" if vendor.quota_window == "1d" else "30 days"
    rules.append(
        _alert(
            "ThirdPartyApiContractQuotaNearLimit",
            quota + "> 0.8\n",
            "15m",
            "warning",
            "We have used most of a third-party API's contract quota.",
            f"Calls sent to {{{{ $labels.dependency }}}} in the last {window} exceed 80 % of "
            f"the contract's {vendor.quota_limit} (rolling window, from our own counts). "
            f"{contact}",
            vendor.name,
        )
    )
    if vendor.hard:
        rules.append(
            _alert(
                "ThirdPartyApiContractQuotaNearLimit",
                quota + "> 0.95\n",
                "5m",
                "critical",
                "A hard third-party dependency is about to run out of contract quota.",
                f"Calls sent to {{{{ $labels.dependency }}}} in the last {window} exceed 95 % "
                f"of the contract's {vendor.quota_limit}; when it runs out every call fails. "
                f"{contact}",
                vendor.name,
            )
        )
    return rules


def _percent(ratio: float) -> str:
    return _num(ratio * 100) + " %"


def rules_document(internal: List[str], vendors: List[Vendor]) -> Dict[str, Any]:
    known = "|".join([*internal, *(v.name for v in vendors)])
    groups: List[Dict[str, Any]] = [
        {"name": f"vendor-{v.name}.alerts", "rules": vendor_rules(v)} for v in vendors
    ]
    groups.append(
        {
            "name": "vendor-catalogue.alerts",
            "rules": [
                _alert(
                    "ThirdPartyApiNotInCatalogue",
                    f'count by (job, dependency) (dependency_requests_total{{job="middleware",'
                    f'dependency!~"{known}"}})\n',
                    "1h",
                    "warning",
                    "The service calls a dependency the vendor catalogue does not list.",
                    "{{ $labels.dependency }} has no entry in monitoring/vendors.yaml, so no "
                    "per-vendor alert, quota or escalation covers it.",
                )
            ],
        }
    )
    return {"groups": groups}


def routes_block(vendors: List[Vendor]) -> str:
    """Per-vendor routes: a hard vendor's critical alerts page, everything else tickets."""
    lines = [BEGIN]
    for v in vendors:
        lines.append(f"    # {v.name}: {'hard, pages' if v.hard else 'soft, never pages'}\n")
        lines.append(
            f'    - matchers: [alertname=~"ThirdPartyApi.+", dependency="{v.name}"]\n'
            f"      receiver: {'pager' if v.hard else 'tickets'}\n"
            "      group_by: [env, alertname, dependency]\n"
        )
        if v.hard:
            lines.append(
                "      group_wait: 30s\n      group_interval: 5m\n      repeat_interval: 4h\n"
                "      routes:\n"
                '        - matchers: [severity!="critical"]\n'
                "          receiver: tickets\n"
                "          group_wait: 5m\n          group_interval: 30m\n"
                "          repeat_interval: 24h\n"
            )
        else:
            lines.append(
                "      group_wait: 5m\n      group_interval: 30m\n      repeat_interval: 24h\n"
            )
    lines.append(END)
    return "".join(lines)


class _BlockDumper(yaml.SafeDumper):
    """Multi-line PromQL as YAML block scalars (|), the way the hand-written rules read."""


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_BlockDumper.add_representer(str, _str)

HEADER = (
    "# GENERATED by scripts/generate_vendor_rules.py from ../vendors.yaml: do not edit.\n"
    "# Per-vendor alerts: thresholds, severity (hard pages, soft tickets), quota and escalation\n"
    "# come from the catalogue; `make -C monitoring lint` fails when this file is stale.\n"
)


def render(catalogue: Path) -> Dict[Path, str]:
    try:
        doc = yaml.safe_load(catalogue.read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise CatalogueError(f"{catalogue}: cannot read: {exc}") from exc
    internal, vendors = parse(doc)
    rules = HEADER + yaml.dump(
        rules_document(internal, vendors),
        Dumper=_BlockDumper,
        sort_keys=False,
        width=100,
        allow_unicode=True,
    )
    am = ALERTMANAGER.read_text()
    if am.count(BEGIN) != 1 or am.count(END) != 1 or am.index(BEGIN) > am.index(END):
        raise CatalogueError(f"{ALERTMANAGER}: needs exactly one BEGIN/END GENERATED block")
    head, rest = am.split(BEGIN)
    _, tail = rest.split(END)
    return {RULES_OUT: rules, ALERTMANAGER: head + routes_block(vendors) + tail}


def write_atomic(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(text)
        Path(tmp).replace(path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def main(argv: List[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Generate per-vendor Prometheus alerts and Alertmanager routes from the "
        "vendor catalogue (monitoring/vendors.yaml).",
        epilog="Example: python monitoring/scripts/generate_vendor_rules.py --check",
    )
    parser.add_argument(
        "--check", action="store_true", help="write nothing; exit 1 if an output is stale"
    )
    parser.add_argument(
        "--catalogue", type=Path, default=CATALOGUE, help=f"catalogue file (default {CATALOGUE})"
    )
    args = parser.parse_args(argv)
    try:
        outputs = render(args.catalogue)
    except CatalogueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    stale = [p for p, text in outputs.items() if not p.exists() or p.read_text() != text]
    if args.check:
        for path in stale:
            print(f"stale: {path} (run scripts/generate_vendor_rules.py)", file=sys.stderr)
        return 1 if stale else 0
    try:
        for path in stale:
            write_atomic(path, outputs[path])
            print(f"wrote {path}", file=sys.stderr)
    except OSError as exc:
        print(f"error: cannot write: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
