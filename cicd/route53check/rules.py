"""The rule the job enforces, as a pure function of the weighted records found.

Passes only with exactly two weighted records of the same name and type, one at weight 100
(active) and one at weight 0 (inactive), and no health check that would move traffic.
"""

from __future__ import annotations

from typing import Dict, List, NamedTuple, Optional

from route53check.health import HealthStatus
from route53check.records import WeightedRecord

ACTIVE_WEIGHT = 100
INACTIVE_WEIGHT = 0
EXPECTED_COUNT = 2


class Verdict(NamedTuple):
    passed: bool
    message: str
    active: Optional[WeightedRecord] = None
    inactive: Optional[WeightedRecord] = None


def summarize(records: List[WeightedRecord]) -> str:
    """``www.example.com A blue=100, www.example.com A green=0`` for messages."""
    return ", ".join(f"{r.name} {r.type} {r.set_identifier}={r.weight}" for r in records)


def _fail(message: str) -> Verdict:
    return Verdict(False, message)


def evaluate(
    records: List[WeightedRecord], health: Optional[Dict[str, HealthStatus]] = None
) -> Verdict:
    """Decide pass/fail; the message names what was found so the build log says why."""
    health = health or {}
    count = len(records)
    if count != EXPECTED_COUNT:
        found = f": {summarize(records)}" if records else ""
        return _fail(f"expected exactly 2 weighted records, found {count}{found}")

    first, second = records
    if (first.name, first.type) != (second.name, second.type):
        return _fail(
            "the 2 weighted records are not one weighted set (name and type differ): "
            + summarize(records)
        )

    weights = sorted((r.weight for r in records), reverse=True)
    if weights != [ACTIVE_WEIGHT, INACTIVE_WEIGHT]:
        if weights == [ACTIVE_WEIGHT, ACTIVE_WEIGHT]:
            problem = "both records have weight 100 (both active)"
        elif weights == [INACTIVE_WEIGHT, INACTIVE_WEIGHT]:
            problem = "both records have weight 0 (none active)"
        else:
            problem = f"weights are {weights[0]}/{weights[1]}"
        return _fail(f"{problem}; expected one at 100 and one at 0: {summarize(records)}")

    active = first if first.weight == ACTIVE_WEIGHT else second
    inactive = second if active is first else first

    # Route 53 only sends traffic to a weight-0 record when every non-zero record is unhealthy,
    # so an unhealthy check on the active record means the "inactive" one is serving.
    if active.health_check_id:
        status = health.get(active.health_check_id)
        if status is not None and not status.healthy:
            return _fail(
                f"active record {active.set_identifier} has unhealthy health check "
                f"{active.health_check_id} ({status.succeeding}/{status.reporting} checkers "
                f"ok); Route 53 would route to {inactive.set_identifier}"
            )
    return Verdict(
        True,
        f"active: {active.set_identifier}, inactive: {inactive.set_identifier}",
        active,
        inactive,
    )
