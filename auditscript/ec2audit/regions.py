"""Which regions to scan: the ones asked for, checked against the account's own region list.

Region names are checked before any regional call, because a wrong name fails in unhelpful ways
(real AWS: a DNS error for ec2.<typo>.amazonaws.com; moto: an HTTP 500 page).
"""

from __future__ import annotations

import re
from typing import Any, Callable, Dict, List, Optional, Sequence

from .errors import RegionError

REGION_NAME = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d{1,2}$")
ENABLED_STATUSES = ("opt-in-not-required", "opted-in")
FALLBACK_HOME_REGION = "us-east-1"


def _partition_regions(session: Any, wanted: Sequence[str] = ()) -> Dict[str, str]:
    """Region name -> partition, as far as this botocore release knows them.

    Stops at the first partitions that cover every ``wanted`` name (each partition costs a
    look-up in botocore's endpoint data); with nothing wanted, reads them all.
    """
    known: Dict[str, str] = {}
    for partition in session.get_available_partitions():
        for name in session.get_available_regions("ec2", partition_name=partition):
            known[name] = partition
        if wanted and all(name in known for name in wanted):
            break
    return known


def home_region(session: Any, requested: Sequence[str], known: Dict[str, str]) -> str:
    """A region that surely exists, to ask DescribeRegions in."""
    for name in requested:
        if name in known:
            return name
    configured: Optional[str] = session.region_name
    if configured and (configured in known or REGION_NAME.match(configured)):
        return configured
    return FALLBACK_HOME_REGION


def resolve_regions(
    session: Any,
    requested: Sequence[str],
    all_regions: bool,
    describe_regions: Callable[[str], List[Dict[str, Any]]],
) -> List[str]:
    """Return the sorted, de-duplicated regions to scan, or raise RegionError.

    ``describe_regions(home)`` returns EC2 DescribeRegions(AllRegions=True) entries.
    """
    for name in requested:
        if not REGION_NAME.match(name):
            raise RegionError(
                f"{name!r} is not a region name: use a code such as us-east-1 or eu-west-2 "
                "(aws ec2 describe-regions lists them)"
            )
    known = _partition_regions(session, () if all_regions else requested)
    home = home_region(session, requested, known)
    listed = {
        r["RegionName"]: r.get("OptInStatus", "opt-in-not-required") for r in describe_regions(home)
    }

    if all_regions:
        home_partition = known.get(home)
        # Keep regions this botocore places in the same partition, plus any it does not know
        # yet (new regions): another partition needs other credentials anyway.
        return sorted(
            name
            for name, status in listed.items()
            if status in ENABLED_STATUSES and known.get(name, home_partition) == home_partition
        )

    chosen: List[str] = []
    for name in requested:
        if name not in listed:
            raise RegionError(
                f"unknown region {name!r}: this account's DescribeRegions does not list it; "
                "check the spelling (aws ec2 describe-regions --all-regions)"
            )
        if listed[name] not in ENABLED_STATUSES:
            raise RegionError(
                f"region {name} is not enabled for this account (OptInStatus "
                f"{listed[name]}): enable it under Account > AWS Regions, or leave it out"
            )
        if name not in chosen:
            chosen.append(name)
    return sorted(chosen)
