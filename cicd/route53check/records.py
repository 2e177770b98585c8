"""Listing a zone's record sets (all pages) and keeping the weighted ones."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, Iterator, List, Optional, Set, Tuple

from route53check.client import aws_call
from route53check.names import normalize_name


@dataclass(frozen=True)
class WeightedRecord:
    name: str  # normalized, no trailing dot
    type: str
    set_identifier: str
    weight: int
    values: List[str]  # the record's values, or one "alias <target>" entry
    health_check_id: Optional[str] = None

    @property
    def key(self) -> Tuple[str, str, str]:
        return (self.name, self.type, self.set_identifier)


def record_values(record_set: Dict[str, Any]) -> List[str]:
    alias = record_set.get("AliasTarget")
    if alias:
        target = f"alias {normalize_name(alias.get('DNSName', ''))}"
        if alias.get("EvaluateTargetHealth"):
            target += " (evaluate target health)"
        return [target]
    return [str(rr["Value"]) for rr in record_set.get("ResourceRecords", [])]


def is_weighted(record_set: Dict[str, Any]) -> bool:
    # Route 53 requires a SetIdentifier with a Weight; moto accepts a Weight alone, which real
    # Route 53 would reject, so such a record is not a weighted record here either.
    return "SetIdentifier" in record_set and record_set.get("Weight") is not None


def iter_record_sets(client: Any, zone_id: str) -> Iterator[Dict[str, Any]]:
    """Every record set of the zone, across pages (Route 53 returns at most 300 per page)."""
    paginator = client.get_paginator("list_resource_record_sets")
    pages = paginator.paginate(HostedZoneId=zone_id)
    with aws_call(f"list the record sets of hosted zone {zone_id}"):
        for page in pages:
            yield from page.get("ResourceRecordSets", [])


def list_weighted_records(
    client: Any, zone_id: str, record_name: Optional[str] = None
) -> List[WeightedRecord]:
    """The zone's weighted records, optionally only those named ``record_name`` (a FQDN)."""
    wanted = normalize_name(record_name) if record_name else None
    seen: Set[Tuple[str, str, str]] = set()
    found: List[WeightedRecord] = []
    for record_set in iter_record_sets(client, zone_id):
        if not is_weighted(record_set):
            continue
        record = WeightedRecord(
            name=normalize_name(record_set["Name"]),
            type=str(record_set["Type"]),
            set_identifier=str(record_set["SetIdentifier"]),
            weight=int(record_set["Weight"]),
            values=record_values(record_set),
            health_check_id=record_set.get("HealthCheckId"),
        )
        if wanted is not None and record.name != wanted:
            continue
        # A page boundary inside a weighted set can repeat a record (moto ignores
        # StartRecordIdentifier); the key is unique in a zone, so count each once.
        if record.key in seen:
            continue
        seen.add(record.key)
        found.append(record)
    return found
