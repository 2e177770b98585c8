"""`make demo` step for section 3: seed a small fleet in two regions, audit it, show the CSV.

Runs against whatever AWS the environment points at (the demo's moto); it adds instances and
never resets state, so other sections' data stays.
Usage: python -m tests.auditscript.demo_step
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any, List

import boto3

REPO = Path(__file__).resolve().parents[2]
AUDIT = REPO / "auditscript" / "audit.py"
OUT_DIR = REPO / ".cache" / "demo" / "auditscript"
AMI = "ami-12c6146b"
# (region, type, root GiB, data GiB at launch, GiB attached later, stop it?)
FLEET = (
    ("us-east-1", "t3.micro", 8, 0, 0, False),
    ("us-east-1", "m5.large", 20, 100, 0, True),
    ("us-east-1", "c5.xlarge", 30, 250, 50, False),
    ("eu-west-1", "m5d.large", 8, 0, 0, False),
    ("eu-west-1", "t3.small", 10, 0, 20, False),
)


def seed() -> List[str]:
    ids = []
    for region, itype, root, data, later, stop in FLEET:
        ec2: Any = boto3.client("ec2", region_name=region)
        mappings = [{"DeviceName": "/dev/sda1", "Ebs": {"VolumeSize": root}}]
        if data:
            mappings.append({"DeviceName": "/dev/sdf", "Ebs": {"VolumeSize": data}})
        inst = ec2.run_instances(
            ImageId=AMI,
            MinCount=1,
            MaxCount=1,
            InstanceType=itype,
            BlockDeviceMappings=mappings,
            TagSpecifications=[
                {"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": f"demo-{itype}"}]}
            ],
        )["Instances"][0]
        if later:
            zone = inst["Placement"]["AvailabilityZone"]
            volume = ec2.create_volume(Size=later, AvailabilityZone=zone)["VolumeId"]
            ec2.attach_volume(VolumeId=volume, InstanceId=inst["InstanceId"], Device="/dev/sdk")
        if stop:
            ec2.stop_instances(InstanceIds=[inst["InstanceId"]])
        ids.append(inst["InstanceId"])
    return ids


def main() -> int:
    if not os.environ.get("AWS_ENDPOINT_URL"):
        print("AWS_ENDPOINT_URL is not set: run this inside `make demo` (local moto only)")
        return 1
    print("== Section 3: EC2 audit")
    ids = seed()
    print(f"seeded {len(ids)} instances: 3 in us-east-1 (one stopped, one with a volume attached")
    print("after launch), 2 in eu-west-1 (one m5d.large with 75 GB instance store)")
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    out = OUT_DIR / "ec2-audit-demo.csv"
    cmd = [
        sys.executable,
        str(AUDIT),
        "--region",
        "us-east-1",
        "--region",
        "eu-west-1",
        "--output",
        str(out),
    ]
    print(
        "$ python auditscript/audit.py --region us-east-1 --region eu-west-1 --output " + str(out)
    )
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)
    print(done.stderr.strip())
    if done.returncode != 0:
        return done.returncode
    lines = out.read_text().splitlines()
    print(f"report: {out} ({len(lines) - 1} rows); first rows:")
    for line in lines[:6]:
        print("  " + line)
    missing = [i for i in ids if i not in out.read_text()]
    if missing:
        print(f"seeded instances missing from the report: {missing}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
