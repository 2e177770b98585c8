"""Every report column on a hand-built fleet, through the real CLI against moto over HTTP."""

from __future__ import annotations

import csv
import math
import os
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict, List

import boto3
import pytest

from tests.auditscript.conftest import AUDIT_PY
from tests.auditscript.fleet import attach_new_volume, iso_z, launch
from tests.support.localaws import MotoServer

pytestmark = [pytest.mark.integration, pytest.mark.py38]

GIB = 2**30


def _client(region: str, env: Dict[str, str]) -> Any:
    return boto3.client(
        "ec2",
        region_name=region,
        endpoint_url=env["AWS_ENDPOINT_URL"],
        aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
    )


def _by_id(path: Path) -> Dict[str, Dict[str, str]]:
    with open(path, newline="") as handle:
        return {row["InstanceID"]: row for row in csv.DictReader(handle)}


@pytest.fixture(scope="module")
def fleet(moto_server: MotoServer) -> Dict[str, Any]:
    """Two populated regions and one empty one, each case an instance with a known disk layout.

    Built once for the module (seeding and a CLI run cost seconds on a busy machine); the tests
    only read the report.
    """
    moto_server.reset()
    env = dict(os.environ, **moto_server.env())
    east = _client("us-east-1", env)
    west = _client("eu-west-1", env)
    f: Dict[str, Any] = {"env": env}
    f["root_only"] = launch(east, "t3.micro", root_gib=12)[0]
    f["data_at_launch"] = launch(east, "m5.large", root_gib=20, data_gib=(50, 100), name="web-1")[0]
    f["attached_later"] = launch(east, "t3.small", root_gib=10)[0]
    attach_new_volume(east, f["attached_later"], 30, "/dev/sdh")
    f["detached_again"] = launch(east, "t3.small", root_gib=10)[0]
    gone = attach_new_volume(east, f["detached_again"], 40, "/dev/sdh")
    east.detach_volume(VolumeId=gone, InstanceId=f["detached_again"]["InstanceId"])
    f["stopped"] = launch(east, "t3.micro", root_gib=9)[0]
    east.stop_instances(InstanceIds=[f["stopped"]["InstanceId"]])
    f["terminated"] = launch(east, "t3.micro", root_gib=8)[0]
    east.terminate_instances(InstanceIds=[f["terminated"]["InstanceId"]])
    f["instance_store"] = launch(east, "m5d.large", root_gib=8)[0]
    f["eu"] = launch(west, "t3.nano", root_gib=16, name="eu-box")[0]
    # Store size of m5d.large as the API describes it (AWS publishes 1 x 75 GB NVMe SSD).
    f["m5d_store_gb"] = east.describe_instance_types(InstanceTypes=["m5d.large"])["InstanceTypes"][
        0
    ]["InstanceStorageInfo"]["TotalSizeInGB"]
    return f


def _run(env: Dict[str, str], cwd: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(AUDIT_PY), *args],
        env=env,
        cwd=str(cwd),
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture(scope="module")
def report(fleet: Dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> Dict[str, Any]:
    folder = tmp_path_factory.mktemp("report")
    out = folder / "fleet.csv"
    regions = ("--region", "us-east-1", "--region", "eu-west-1", "--region", "us-west-2")
    result = _run(fleet["env"], folder, *regions, "--output", str(out))
    assert result.returncode == 0, result.stderr
    return {"path": out, "stderr": result.stderr, "rows": _by_id(out)}


def test_header_starts_with_the_four_required_columns(report: Dict[str, Any]) -> None:
    header = report["path"].read_text().splitlines()[0].split(",")
    assert header[:4] == ["InstanceID", "StartTime", "Size", "TotalDiskGiB"]
    assert "Region" in header and "State" in header


def test_total_disk_counts_root_launch_and_later_volumes(
    report: Dict[str, Any], fleet: Dict[str, Any]
) -> None:
    rows = report["rows"]
    expected = {
        "root_only": (12, 1),
        "data_at_launch": (20 + 50 + 100, 3),
        "attached_later": (10 + 30, 2),
        "detached_again": (10, 1),
        "stopped": (9, 1),
        "eu": (16, 1),
    }
    for case, (gib, volumes) in expected.items():
        row = rows[fleet[case]["InstanceId"]]
        assert (int(row["TotalDiskGiB"]), int(row["EbsGiB"]), int(row["VolumeCount"])) == (
            gib,
            gib,
            volumes,
        ), case


def test_instance_store_is_added_in_gib(report: Dict[str, Any], fleet: Dict[str, Any]) -> None:
    row = report["rows"][fleet["instance_store"]["InstanceId"]]
    store_gb = fleet["m5d_store_gb"]
    assert store_gb > 0
    assert int(row["InstanceStoreGB"]) == store_gb
    assert int(row["EbsGiB"]) == 8
    # decimal GB -> GiB, rounded half up: 8 + 75e9 / 2**30 = 77.85 -> 78
    assert int(row["TotalDiskGiB"]) == math.floor(8 + store_gb * 10**9 / GIB + 0.5)
    assert int(row["TotalDiskGiB"]) < 8 + store_gb  # GiB is larger than GB


def test_start_time_is_launch_time_in_utc_with_z(
    report: Dict[str, Any], fleet: Dict[str, Any]
) -> None:
    for case in ("root_only", "stopped", "eu"):
        row = report["rows"][fleet[case]["InstanceId"]]
        assert row["StartTime"] == iso_z(fleet[case]["LaunchTime"])
        assert row["StartTime"].endswith("Z") and "T" in row["StartTime"]


def test_size_state_name_and_zone(report: Dict[str, Any], fleet: Dict[str, Any]) -> None:
    rows = report["rows"]
    web = rows[fleet["data_at_launch"]["InstanceId"]]
    assert (web["Size"], web["Name"], web["State"]) == ("m5.large", "web-1", "running")
    assert web["AvailabilityZone"] == fleet["data_at_launch"]["Placement"]["AvailabilityZone"]
    assert rows[fleet["stopped"]["InstanceId"]]["State"] == "stopped"
    assert rows[fleet["eu"]["InstanceId"]]["Size"] == "t3.nano"


def test_terminated_excluded_and_regions_kept_apart(
    report: Dict[str, Any], fleet: Dict[str, Any]
) -> None:
    rows = report["rows"]
    assert fleet["terminated"]["InstanceId"] not in rows
    assert rows[fleet["eu"]["InstanceId"]]["Region"] == "eu-west-1"
    east_ids = {
        fleet[c]["InstanceId"]
        for c in (
            "root_only",
            "data_at_launch",
            "attached_later",
            "detached_again",
            "stopped",
            "instance_store",
        )
    }
    assert {i for i, r in rows.items() if r["Region"] == "us-east-1"} == east_ids
    assert all(r["Region"] != "us-west-2" for r in rows.values())  # the empty region
    assert len(rows) == 7


def test_rows_sorted_by_region_then_instance_id(report: Dict[str, Any]) -> None:
    with open(report["path"], newline="") as handle:
        keys: List[tuple] = [(r["Region"], r["InstanceID"]) for r in csv.DictReader(handle)]
    assert keys == sorted(keys)
    assert keys[0][0] == "eu-west-1"


def test_summary_line_names_file_and_totals(report: Dict[str, Any]) -> None:
    total = sum(int(r["TotalDiskGiB"]) for r in report["rows"].values())
    lines = report["stderr"].strip().splitlines()
    assert len(lines) == 1  # not a TTY: no progress lines, only the summary
    assert str(report["path"]) in lines[0]
    assert "7 instances in 3 region(s)" in lines[0]
    assert f"{total} GiB total" in lines[0]


def test_all_regions_finds_every_populated_region(fleet: Dict[str, Any], tmp_path: Path) -> None:
    out = tmp_path / "all.csv"
    result = _run(fleet["env"], tmp_path, "--all-regions", "--output", str(out))
    assert result.returncode == 0, result.stderr
    rows = _by_id(out)
    assert {r["Region"] for r in rows.values()} == {"us-east-1", "eu-west-1"}
    assert len(rows) == 7
