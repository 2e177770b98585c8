"""What the user sees: a fixed-width table for people, one JSON object for Jenkins."""

from __future__ import annotations

import json
from typing import Any, Dict, List, Optional

from route53check.health import HealthStatus
from route53check.records import WeightedRecord
from route53check.rules import Verdict
from route53check.zones import HostedZone

COLUMNS = ["ROLE", "NAME", "TYPE", "SET IDENTIFIER", "WEIGHT", "VALUES / ALIAS TARGET", "HEALTH"]


def record_json(record: WeightedRecord) -> Dict[str, Any]:
    """The ``active``/``inactive`` object of the --json output."""
    return {
        "name": record.name,
        "type": record.type,
        "set_identifier": record.set_identifier,
        "weight": record.weight,
        "values": list(record.values),
    }


def success_json(zone: HostedZone, verdict: Verdict) -> str:
    assert verdict.active is not None and verdict.inactive is not None
    return json.dumps(
        {
            "zone": zone.name,
            "zone_id": zone.zone_id,
            "active": record_json(verdict.active),
            "inactive": record_json(verdict.inactive),
        },
        sort_keys=False,
    )


def failure_json(message: str, records: List[WeightedRecord]) -> str:
    """Failed check (exit 1) or no check (exit 2, no records): same shape for the Jenkinsfile."""
    listed = [dict(record_json(r), health_check_id=r.health_check_id) for r in records]
    return json.dumps({"error": message, "records": listed})


def _role(record: WeightedRecord, verdict: Verdict) -> str:
    if verdict.active is not None and record.key == verdict.active.key:
        return "ACTIVE"
    if verdict.inactive is not None and record.key == verdict.inactive.key:
        return "INACTIVE"
    return "?"


def _health(record: WeightedRecord, health: Dict[str, HealthStatus]) -> str:
    if not record.health_check_id:
        return "-"
    status: Optional[HealthStatus] = health.get(record.health_check_id)
    return status.describe() if status else record.health_check_id


def table(
    zone: HostedZone,
    records: List[WeightedRecord],
    verdict: Verdict,
    health: Dict[str, HealthStatus],
) -> str:
    kind = "private" if zone.private else "public"
    lines = [f"Hosted zone {zone.name} ({zone.zone_id}, {kind})", ""]
    # Active first, then inactive, then anything else in the order Route 53 listed it.
    order = {"ACTIVE": 0, "INACTIVE": 1, "?": 2}
    rows = [
        [
            _role(r, verdict),
            r.name,
            r.type,
            r.set_identifier,
            str(r.weight),
            ", ".join(r.values) or "-",
            _health(r, health),
        ]
        for r in records
    ]
    rows.sort(key=lambda row: order[row[0]])
    if rows:
        widths = [max(len(row[i]) for row in [COLUMNS, *rows]) for i in range(len(COLUMNS))]
        for row in [COLUMNS, *rows]:
            lines.append("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip())
    else:
        lines.append("(no weighted records)")
    lines.append("")
    lines.append(("PASS: " if verdict.passed else "FAIL: ") + verdict.message)
    return "\n".join(lines)
