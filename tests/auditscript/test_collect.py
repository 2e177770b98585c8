"""Collection logic: call counts, paging, Multi-Attach and odd API answers.

Multi-Attach and multi-page volume listings cannot be had from moto (it keeps one attachment
per volume and ignores MaxResults/NextToken for DescribeVolumes), so those cases use a small
in-memory EC2 double. The call-count test runs over HTTP against moto.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any, Dict, Iterator, List

import boto3
import botocore.exceptions as bce
import pytest
from ec2audit import aws, collect
from ec2audit.collect import scan_region, total_disk_gib

from tests.auditscript.fleet import launch
from tests.support.localaws import MotoServer

pytestmark = pytest.mark.py38

T0 = dt.datetime(2024, 5, 1, 9, 30, tzinfo=dt.timezone.utc)


class FakePaginator:
    def __init__(self, client: FakeEC2, operation: str) -> None:
        self.client = client
        self.operation = operation

    def paginate(self, **kwargs: Any) -> Iterator[Dict[str, Any]]:
        for page in self.client.answer(self.operation, kwargs):
            self.client.calls[self.operation] += 1
            yield page


class FakeEC2:
    """Answers the three Describe calls from canned pages and counts every page fetched."""

    def __init__(
        self,
        instance_pages: List[List[Dict[str, Any]]],
        volume_pages: List[List[Dict[str, Any]]],
        store: Dict[str, int],
        unknown_types: tuple = (),
    ) -> None:
        self.instance_pages = instance_pages
        self.volume_pages = volume_pages
        self.store = store
        self.unknown_types = set(unknown_types)
        self.calls: Counter = Counter()
        self.type_batches: List[List[str]] = []

    def get_paginator(self, operation: str) -> FakePaginator:
        return FakePaginator(self, operation)

    def answer(self, operation: str, kwargs: Dict[str, Any]) -> List[Dict[str, Any]]:
        if operation == "describe_instances":
            return [{"Reservations": [{"Instances": page}]} for page in self.instance_pages]
        if operation == "describe_volumes":
            return [{"Volumes": page} for page in self.volume_pages]
        names = kwargs["InstanceTypes"]
        self.type_batches.append(names)
        if self.unknown_types & set(names):
            self.calls[operation] += 1
            raise bce.ClientError(
                {"Error": {"Code": "InvalidInstanceType", "Message": "bad type"}},
                "DescribeInstanceTypes",
            )
        return [
            {
                "InstanceTypes": [
                    {
                        "InstanceType": n,
                        **(
                            {"InstanceStorageInfo": {"TotalSizeInGB": self.store[n]}}
                            if self.store.get(n)
                            else {}
                        ),
                    }
                    for n in names
                ]
            }
        ]


def _instance(iid: str, itype: str = "t3.micro", state: str = "running") -> Dict[str, Any]:
    return {
        "InstanceId": iid,
        "InstanceType": itype,
        "LaunchTime": T0,
        "State": {"Name": state},
        "Placement": {"AvailabilityZone": "us-east-1a"},
    }


def _volume(vid: str, size: int, *attached: str, state: str = "attached") -> Dict[str, Any]:
    return {
        "VolumeId": vid,
        "Size": size,
        "Attachments": [{"InstanceId": i, "State": state} for i in attached],
    }


def test_multi_attach_volume_counts_for_each_instance() -> None:
    ec2 = FakeEC2(
        [[_instance("i-1"), _instance("i-2")]],
        [[_volume("vol-shared", 100, "i-1", "i-2"), _volume("vol-r1", 8, "i-1")]],
        {},
    )
    rows = {r.instance_id: r for r in scan_region(ec2, "us-east-1")}
    assert (rows["i-1"].total_disk_gib, rows["i-1"].volume_count) == (108, 2)
    assert (rows["i-2"].total_disk_gib, rows["i-2"].volume_count) == (100, 1)


def test_many_pages_are_summed_and_repeats_not_double_counted() -> None:
    instances = [[_instance(f"i-{p}{n}") for n in range(3)] for p in range(4)]
    volumes = [[_volume(f"vol-{p}{n}", 10, f"i-{p}{n}") for n in range(3)] for p in range(4)]
    volumes.append([_volume("vol-00", 10, "i-00")])  # an endpoint repeating an item
    volumes.append([_volume("vol-x", 5, "i-01", state="detached")])
    ec2 = FakeEC2(instances, volumes, {})
    rows = scan_region(ec2, "eu-west-1")
    assert len(rows) == 12
    assert all(r.total_disk_gib == 10 and r.volume_count == 1 for r in rows)
    assert [r.instance_id for r in rows] == sorted(r.instance_id for r in rows)


def test_instance_types_described_once_per_100_distinct() -> None:
    instances = [[_instance(f"i-{n:04d}", f"type{n % 250}.large") for n in range(1000)]]
    ec2 = FakeEC2(instances, [[]], {"type7.large": 75})
    rows = scan_region(ec2, "us-east-1")
    assert ec2.calls["describe_instance_types"] == 3  # 250 types in batches of 100
    assert sorted(len(b) for b in ec2.type_batches) == [50, 100, 100]
    seven = [r for r in rows if r.size == "type7.large"]
    assert seven and all(r.instance_store_gb == 75 and r.total_disk_gib == 70 for r in seven)


def test_an_undescribed_type_counts_as_no_instance_store() -> None:
    ec2 = FakeEC2(
        [[_instance("i-1", "m5d.large"), _instance("i-2", "retired.huge")]],
        [[]],
        {"m5d.large": 75},
        unknown_types=("retired.huge",),
    )
    rows = {r.instance_id: r for r in scan_region(ec2, "us-east-1")}
    assert rows["i-1"].instance_store_gb == 75
    assert rows["i-2"].instance_store_gb == 0


def test_live_states_only_even_if_the_filter_is_ignored() -> None:
    states = ["pending", "running", "stopping", "stopped", "shutting-down", "terminated"]
    ec2 = FakeEC2([[_instance(f"i-{s}", state=s) for s in states]], [[]], {})
    assert {r.state for r in scan_region(ec2, "us-east-1")} == set(states[:4])


@pytest.mark.parametrize(
    ("ebs", "store_gb", "expected"),
    [(0, 0, 0), (8, 0, 8), (8, 75, 78), (0, 1900, 1770), (0, 537, 500), (0, 536, 499)],
)
def test_total_disk_gib_converts_gb_and_rounds_half_up(
    ebs: int, store_gb: int, expected: int
) -> None:
    assert total_disk_gib(ebs, store_gb) == expected
    assert abs(total_disk_gib(ebs, store_gb) - (ebs + store_gb * 1e9 / 2**30)) <= 0.5


def test_iso_utc_converts_zones_and_naive_times() -> None:
    plus2 = dt.timezone(dt.timedelta(hours=2))
    assert collect.iso_utc(dt.datetime(2024, 5, 1, 11, 30, tzinfo=plus2)) == "2024-05-01T09:30:00Z"
    assert collect.iso_utc(dt.datetime(2024, 5, 1, 9, 30)) == "2024-05-01T09:30:00Z"
    assert collect.iso_utc(None) == ""


def _count_calls(client: Any) -> Counter:
    counts: Counter = Counter()
    client.meta.events.register("before-call.ec2.*", lambda model, **_: counts.update([model.name]))
    return counts


@pytest.mark.integration
def test_api_calls_do_not_grow_with_the_fleet(aws_env: MotoServer) -> None:
    session = boto3.session.Session()
    seeder = boto3.client("ec2", region_name="us-east-1")
    observed = []
    for size in (3, 60):
        aws_env.reset()
        launch(seeder, "t3.micro", count=size // 3)
        launch(seeder, "m5.large", data_gib=(20,), count=size // 3)
        launch(seeder, "m5d.large", count=size // 3)
        client = aws.make_client(session, "ec2", "us-east-1")
        counts = _count_calls(client)
        rows = scan_region(client, "us-east-1")
        assert len(rows) == size
        observed.append(dict(counts))
    assert observed[0] == observed[1]
    assert sum(observed[1].values()) == 3  # one call each: instances, volumes, types
