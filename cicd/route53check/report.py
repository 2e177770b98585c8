"""What the user sees: a fixed-width table for people, one JSON object for Jenkins.

Every JSON object carries ``result`` (``pass``, ``records_wrong`` or ``could_not_check``), the
same fact as the exit status: the Jenkinsfile trusts a failure verdict only when both agree, so
an interpreter that dies with Python's own exit 1 is never read as "records wrong".
"""

from __future__ import annotations

import json
from typing import Any, Dict, List

from route53check.records import WeightedRecord
from route53check.rules import Verdict
from route53check.zones import HostedZone

COLUMNS = [
    "ROLE",
    "NAME",
    "TYPE",
    "SET IDENTIFIER",
    "WEIGHT",
    "VALUES / ALIAS TARGET",
    "HEALTH CHECK",
]
RESULT_PASS = "pass"  # noqa: S105 - a verdict name, not a password
RESULT_RECORDS_WRONG = "records_wrong"
RESULT_COULD_NOT_CHECK = "could_not_check"


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
            "result": RESULT_PASS,
            "zone": zone.name,
            "zone_id": zone.zone_id,
            "active": record_json(verdict.active),
            "inactive": record_json(verdict.inactive),
        },
        sort_keys=False,
    )


def failure_json(message: str, records: List[WeightedRecord], result: str) -> str:
    """Failed check (exit 1) or no check (exit 2, no records): same shape for the Jenkinsfile."""
    listed = [dict(record_json(r), health_check_id=r.health_check_id) for r in records]
    return json.dumps({"result": result, "error": message, "records": listed})


def _role(record: WeightedRecord, verdict: Verdict) -> str:
    if verdict.active is not None and record.key == verdict.active.key:
        return "ACTIVE"
    if verdict.inactive is not None and record.key == verdict.inactive.key:
        return "INACTIVE"
    return "?"


def table(zone: HostedZone, records: List[WeightedRecord], verdict: Verdict) -> str:
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
            r.health_check_id or "-",
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
