"""The rule the job enforces, as a pure function of the weighted records found.

Passes only with exactly two weighted records of the same name and type, one at weight 100
(active) and one at weight 0 (inactive). Health checks are shown, never judged: see
cicd/README.md ("Health checks") for why.
"""

from __future__ import annotations

from typing import List, NamedTuple, Optional

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


def evaluate(records: List[WeightedRecord]) -> Verdict:
    """Decide pass/fail; the message names what was found so the build log says why."""
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

    return Verdict(
        True,
        f"active: {active.set_identifier}, inactive: {inactive.set_identifier}",
        active,
        inactive,
    )
