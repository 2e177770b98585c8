"""Collect one region's instances with their disk sizes in a fixed number of API calls.

Calls per region, whatever the fleet size:
- DescribeInstances, 1,000 per page, filtered server-side to live states;
- DescribeVolumes, 500 per page, only attached volumes, summed per instance as pages arrive
  (fetched concurrently with the instances: neither needs the other);
- DescribeInstanceTypes, once per 100 distinct types, for the instance-store size.
Pages are folded into small records at once; no raw page is kept.
"""

from __future__ import annotations

import datetime as dt
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Dict, Iterable, List, NamedTuple, Optional, Set, Tuple

import botocore.exceptions as bce

# terminated (and shutting-down, on its way there) own no disks worth auditing.
LIVE_STATES = ("pending", "running", "stopping", "stopped")
ATTACHED_STATES = ("attaching", "attached", "detaching")
INSTANCES_PAGE = 1000
VOLUMES_PAGE = 500
TYPES_PER_CALL = 100

GIB = 2**30
GB = 10**9


class Instance(NamedTuple):
    instance_id: str
    launch_time: Optional[dt.datetime]
    instance_type: str
    state: str
    name: str
    availability_zone: str
    first_launch_time: Optional[dt.datetime]


class Row(NamedTuple):
    """One line of the report."""

    region: str
    instance_id: str
    start_time: str
    size: str
    total_disk_gib: int
    state: str
    name: str
    availability_zone: str
    ebs_gib: int
    instance_store_gb: int
    volume_count: int
    first_launch_time: str
    account_id: str = ""


def iso_utc(value: Optional[dt.datetime]) -> str:
    """ISO 8601 in UTC with a ``Z`` (``2024-05-01T09:30:00Z``); empty when unknown."""
    if value is None:
        return ""
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.timezone.utc)
    return value.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def total_disk_gib(ebs_gib: int, instance_store_gb: int) -> int:
    """EBS GiB plus instance store converted from decimal GB to GiB, rounded half up."""
    numerator = ebs_gib * GIB + instance_store_gb * GB
    return (numerator + GIB // 2) // GIB


def _first_launch(raw: Dict[str, Any]) -> Optional[dt.datetime]:
    # The primary network interface is attached at the very first launch and stays attached
    # across stop/start, so its AttachTime is the first launch while LaunchTime is the last start.
    for eni in raw.get("NetworkInterfaces", []):
        attachment = eni.get("Attachment", {})
        if attachment.get("DeviceIndex") == 0:
            value = attachment.get("AttachTime")
            return value if isinstance(value, dt.datetime) else None
    return None


def _instance(raw: Dict[str, Any]) -> Instance:
    tags = {t.get("Key"): t.get("Value", "") for t in raw.get("Tags", [])}
    return Instance(
        instance_id=raw["InstanceId"],
        launch_time=raw.get("LaunchTime"),
        instance_type=raw.get("InstanceType", ""),
        state=raw.get("State", {}).get("Name", ""),
        name=tags.get("Name", ""),
        availability_zone=raw.get("Placement", {}).get("AvailabilityZone", ""),
        first_launch_time=_first_launch(raw),
    )


def list_instances(ec2: Any) -> List[Instance]:
    paginator = ec2.get_paginator("describe_instances")
    pages = paginator.paginate(
        Filters=[{"Name": "instance-state-name", "Values": list(LIVE_STATES)}],
        PaginationConfig={"PageSize": INSTANCES_PAGE},
    )
    found: List[Instance] = []
    for page in pages:
        for reservation in page.get("Reservations", []):
            for raw in reservation.get("Instances", []):
                # Filtered server-side already; checked again in case an endpoint ignores it.
                if raw.get("State", {}).get("Name") in LIVE_STATES:
                    found.append(_instance(raw))
    return found


def ebs_by_instance(ec2: Any) -> Dict[str, Tuple[int, int]]:
    """Instance id -> (attached EBS GiB, volume count); a Multi-Attach volume counts for each."""
    paginator = ec2.get_paginator("describe_volumes")
    pages = paginator.paginate(
        Filters=[{"Name": "attachment.status", "Values": list(ATTACHED_STATES)}],
        PaginationConfig={"PageSize": VOLUMES_PAGE},
    )
    totals: Dict[str, Tuple[int, int]] = {}
    seen: Set[Tuple[str, str]] = set()
    for page in pages:
        for volume in page.get("Volumes", []):
            size = int(volume.get("Size", 0))
            for attachment in volume.get("Attachments", []):
                instance_id = attachment.get("InstanceId")
                if not instance_id or attachment.get("State") not in ATTACHED_STATES:
                    continue
                key = (volume.get("VolumeId", ""), instance_id)
                if key in seen:  # an endpoint that repeats a page must not double-count
                    continue
                seen.add(key)
                gib, count = totals.get(instance_id, (0, 0))
                totals[instance_id] = (gib + size, count + 1)
    return totals


def _chunks(items: List[str], size: int) -> Iterable[List[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def instance_store_gb(ec2: Any, types: Iterable[str]) -> Dict[str, int]:
    """Instance type -> total instance-store size in GB (0 for EBS-only or unknown types)."""
    wanted = sorted({t for t in types if t})
    sizes: Dict[str, int] = dict.fromkeys(wanted, 0)
    for batch in _chunks(wanted, TYPES_PER_CALL):
        try:
            described = _describe_types(ec2, batch)
        except bce.ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "InvalidInstanceType":
                raise
            # A type the API no longer describes would sink the whole batch: ask one by one,
            # and count an undescribed type as having no instance store.
            described = []
            for name in batch:
                try:
                    described.extend(_describe_types(ec2, [name]))
                except bce.ClientError as single:
                    if single.response.get("Error", {}).get("Code") != "InvalidInstanceType":
                        raise
        for item in described:
            storage = item.get("InstanceStorageInfo") or {}
            sizes[item["InstanceType"]] = int(storage.get("TotalSizeInGB", 0))
    return sizes


def _describe_types(ec2: Any, names: List[str]) -> List[Dict[str, Any]]:
    result: List[Dict[str, Any]] = []
    paginator = ec2.get_paginator("describe_instance_types")
    for page in paginator.paginate(InstanceTypes=names):
        result.extend(page.get("InstanceTypes", []))
    return result


def scan_region(ec2: Any, region: str, account_id: str = "") -> List[Row]:
    """Every live instance of one region (of one account) as report rows, sorted by InstanceID."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        volumes_future = pool.submit(ebs_by_instance, ec2)
        instances = list_instances(ec2)
        volumes = volumes_future.result()
    store = instance_store_gb(ec2, (i.instance_type for i in instances))
    rows: List[Row] = []
    for inst in sorted(instances, key=lambda i: i.instance_id):
        ebs, count = volumes.get(inst.instance_id, (0, 0))
        store_gb = store.get(inst.instance_type, 0)
        rows.append(
            Row(
                region=region,
                instance_id=inst.instance_id,
                start_time=iso_utc(inst.launch_time),
                size=inst.instance_type,
                total_disk_gib=total_disk_gib(ebs, store_gb),
                state=inst.state,
                name=inst.name,
                availability_zone=inst.availability_zone,
                ebs_gib=ebs,
                instance_store_gb=store_gb,
                volume_count=count,
                first_launch_time=iso_utc(inst.first_launch_time),
                account_id=account_id,
            )
        )
    return rows
