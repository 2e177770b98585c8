"""Finding the hosted zone by name with only route53:ListHostedZonesByName."""

from __future__ import annotations

from typing import Any, List, NamedTuple, Optional

from route53check.client import aws_call
from route53check.errors import CouldNotCheck
from route53check.names import fqdn, normalize_name


class HostedZone(NamedTuple):
    zone_id: str  # bare id, without the "/hostedzone/" prefix
    name: str  # normalized: lower case, no trailing dot
    private: bool


def bare_zone_id(zone_id: str) -> str:
    return zone_id.strip().rsplit("/", 1)[-1]


def zones_named(client: Any, zone_name: str) -> List[HostedZone]:
    """Every hosted zone whose name is exactly ``zone_name`` (public and private)."""
    wanted = normalize_name(zone_name)
    found: List[HostedZone] = []
    kwargs = {"DNSName": fqdn(zone_name)}
    # ListHostedZonesByName lists zones in name order starting at DNSName; keep paging only
    # while the next page still starts at our name (several zones can share it).
    while True:
        with aws_call(f"list hosted zones named {wanted}"):
            page = client.list_hosted_zones_by_name(**kwargs)
        for zone in page.get("HostedZones", []):
            if normalize_name(zone["Name"]) != wanted:
                continue
            private = bool(zone.get("Config", {}).get("PrivateZone", False))
            found.append(HostedZone(bare_zone_id(zone["Id"]), wanted, private))
        next_name = page.get("NextDNSName")
        if not page.get("IsTruncated") or not next_name or normalize_name(next_name) != wanted:
            return found
        kwargs = {"DNSName": next_name, "HostedZoneId": page["NextHostedZoneId"]}


def find_zone(
    client: Any, zone_name: str, private: bool = False, zone_id: Optional[str] = None
) -> HostedZone:
    """The zone to check: the one with ``zone_id``, else the public (or private) one by name.

    Raises CouldNotCheck when no zone matches or the choice is ambiguous.
    """
    zones = zones_named(client, zone_name)
    name = normalize_name(zone_name)
    if zone_id is not None:
        wanted_id = bare_zone_id(zone_id)
        for zone in zones:
            if zone.zone_id == wanted_id:
                return zone
        raise CouldNotCheck(f"hosted zone {wanted_id} named {name} not found")
    kind = "private" if private else "public"
    matching = [zone for zone in zones if zone.private == private]
    if not matching:
        others = ", ".join(z.zone_id for z in zones)
        hint = f" (other zones with that name: {others})" if others else ""
        raise CouldNotCheck(f"{kind} hosted zone {name} not found{hint}")
    if len(matching) > 1:
        ids = ", ".join(z.zone_id for z in matching)
        raise CouldNotCheck(
            f"{len(matching)} {kind} hosted zones named {name} ({ids}); pass --zone-id"
        )
    return matching[0]
