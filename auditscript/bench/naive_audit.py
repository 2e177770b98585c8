"""Baseline (a): the script people write first. One DescribeVolumes call per instance.

It lists instances (paginated, like boto3 examples do) and then asks for each instance's
volumes with a filter. To keep the baseline honest it does remember each instance type's
instance-store size (one DescribeInstanceTypes per distinct type), so the gap measured is the
per-instance DescribeVolumes alone. Same CSV columns as audit.py's first four.
Usage: python naive_audit.py REGION OUTPUT
"""

from __future__ import annotations

import csv
import sys
from typing import Dict

import boto3


def main(region: str, output: str) -> int:
    ec2 = boto3.client("ec2", region_name=region)
    store_gb: Dict[str, int] = {}
    with open(output, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["InstanceID", "StartTime", "Size", "TotalDiskGiB"])
        for page in ec2.get_paginator("describe_instances").paginate():
            for reservation in page["Reservations"]:
                for inst in reservation["Instances"]:
                    if inst["State"]["Name"] == "terminated":
                        continue
                    volumes = ec2.describe_volumes(
                        Filters=[{"Name": "attachment.instance-id", "Values": [inst["InstanceId"]]}]
                    )["Volumes"]
                    itype = inst["InstanceType"]
                    if itype not in store_gb:
                        described = ec2.describe_instance_types(InstanceTypes=[itype])
                        info = described["InstanceTypes"][0].get("InstanceStorageInfo", {})
                        store_gb[itype] = info.get("TotalSizeInGB", 0)
                    total = sum(v["Size"] for v in volumes) + store_gb[itype]
                    writer.writerow(
                        [
                            inst["InstanceId"],
                            inst["LaunchTime"].isoformat(),
                            inst["InstanceType"],
                            total,
                        ]
                    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
