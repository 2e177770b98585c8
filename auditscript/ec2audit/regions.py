"""Which regions to scan: names checked against botocore's partition data, then against the
account's own DescribeRegions list.

Names are checked before any regional call, because a wrong name fails in unhelpful ways (real
AWS: a DNS error for ec2.<typo>.amazonaws.com; moto: an HTTP 500 page). The partition data is
botocore's ``partitions.json`` (the file its endpoint rules use): every partition (aws, aws-cn,
aws-us-gov, the ISO partitions, the European Sovereign Cloud) with its region list and its
``regionRegex``, so a region newer than this botocore is still accepted when its partition's
pattern matches it (``eusc-de-east-1`` has a four-letter prefix no fixed pattern of ours knew).
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any, Callable, Dict, List, Optional, Pattern, Sequence, Tuple

from botocore.loaders import create_loader

from .errors import RegionError

ENABLED_STATUSES = ("opt-in-not-required", "opted-in")
FALLBACK_HOME_REGION = "us-east-1"


@lru_cache(maxsize=1)
def partitions() -> Tuple[Tuple[str, Pattern[str], Tuple[str, ...]], ...]:
    """(partition id, region pattern, known regions) for every partition botocore knows."""
    data = create_loader().load_data("partitions")
    found = []
    for item in data["partitions"]:
        # "aws-global"-style names are endpoint aliases, not regions one can scan.
        names = tuple(n for n in item.get("regions", {}) if not n.endswith("-global"))
        found.append((item["id"], re.compile(item["regionRegex"]), names))
    return tuple(found)


def partition_of(region: str) -> Optional[str]:
    """The partition a region name belongs to, or None when it is not a region name at all."""
    for pid, _pattern, names in partitions():
        if region in names:
            return pid
    for pid, pattern, _names in partitions():
        if pattern.match(region):
            return pid
    return None


def check_names(requested: Sequence[str]) -> None:
    """Raise RegionError for a name no partition accepts (before any network call)."""
    for name in requested:
        if partition_of(name) is None:
            known = ", ".join(pid for pid, _p, _n in partitions())
            raise RegionError(
                f"{name!r} is not a region name in any AWS partition ({known}): use a code "
                "such as us-east-1, cn-north-1 or us-gov-west-1 (aws ec2 describe-regions)"
            )


def home_region(requested: Sequence[str], configured: Optional[str]) -> str:
    """A region that surely exists, to ask STS, Organizations and DescribeRegions in."""
    if requested:
        return requested[0]
    if configured and partition_of(configured):
        return configured
    return FALLBACK_HOME_REGION


def enabled_regions(listed: List[Dict[str, Any]]) -> Dict[str, str]:
    """DescribeRegions(AllRegions=True) entries as region -> OptInStatus."""
    return {r["RegionName"]: r.get("OptInStatus", "opt-in-not-required") for r in listed}


def choose_regions(
    listed: Dict[str, str], requested: Sequence[str], all_regions: bool, home: str
) -> Tuple[List[str], Dict[str, str]]:
    """(regions to scan, {region: why not}) for one account.

    With ``all_regions``: every enabled region in the home region's partition (plus names this
    botocore does not know yet: a new region). Otherwise the requested ones; a requested region
    the account does not list, or has not opted into, goes to the second dict with the reason.
    """
    if all_regions:
        home_partition = partition_of(home)
        return sorted(
            name
            for name, status in listed.items()
            if status in ENABLED_STATUSES
            and (partition_of(name) or home_partition) == home_partition
        ), {}
    chosen: List[str] = []
    refused: Dict[str, str] = {}
    for name in requested:
        if name in chosen or name in refused:
            continue
        if name not in listed:
            refused[name] = (
                f"unknown region {name!r}: this account's DescribeRegions does not list it; "
                "check the spelling (aws ec2 describe-regions --all-regions)"
            )
        elif listed[name] not in ENABLED_STATUSES:
            refused[name] = (
                f"region {name} is not enabled for this account (OptInStatus "
                f"{listed[name]}): enable it under Account > AWS Regions, or leave it out"
            )
        else:
            chosen.append(name)
    return sorted(chosen), refused


def resolve_regions(
    requested: Sequence[str],
    all_regions: bool,
    home: str,
    describe_regions: Callable[[str], List[Dict[str, Any]]],
) -> List[str]:
    """Single-account mode: the sorted regions to scan, or RegionError for the first bad one."""
    check_names(requested)
    chosen, refused = choose_regions(
        enabled_regions(describe_regions(home)), requested, all_regions, home
    )
    for name in requested:
        if name in refused:
            raise RegionError(refused[name])
    return chosen
