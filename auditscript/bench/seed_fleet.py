"""Seed a fleet into a moto server fast: run_instances in batches, a few volumes attached later.

Shared by the benchmark and the demo. Takes a boto3 EC2 client; knows nothing about moto.
"""

from __future__ import annotations

from typing import Any, Dict, List

AMI = "ami-12c6146b"
# (type, root GiB, data volume GiB or 0): EBS-only and instance-store types mixed.
SHAPES = (
    ("t3.micro", 8, 0),
    ("m5.large", 20, 100),
    ("m5d.large", 8, 0),
    ("c5.xlarge", 30, 250),
    ("r5d.2xlarge", 50, 0),
)
BATCH = 100


def seed(ec2: Any, count: int, later_every: int = 10) -> List[str]:
    """Launch ``count`` instances; every ``later_every``-th gets a volume attached after launch."""
    ids: List[str] = []
    shape = 0
    while len(ids) < count:
        itype, root, data = SHAPES[shape % len(SHAPES)]
        shape += 1
        batch = min(BATCH, count - len(ids))
        mappings: List[Dict[str, Any]] = [{"DeviceName": "/dev/sda1", "Ebs": {"VolumeSize": root}}]
        if data:
            mappings.append({"DeviceName": "/dev/sdf", "Ebs": {"VolumeSize": data}})
        answer = ec2.run_instances(
            ImageId=AMI,
            MinCount=batch,
            MaxCount=batch,
            InstanceType=itype,
            BlockDeviceMappings=mappings,
            TagSpecifications=[
                {"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": f"{itype}-fleet"}]}
            ],
        )
        ids.extend(i["InstanceId"] for i in answer["Instances"])
    if later_every:
        zone = ec2.describe_instances(InstanceIds=ids[:1])["Reservations"][0]["Instances"][0][
            "Placement"
        ]["AvailabilityZone"]
        for instance_id in ids[::later_every]:
            volume = ec2.create_volume(Size=10, AvailabilityZone=zone)["VolumeId"]
            ec2.attach_volume(VolumeId=volume, InstanceId=instance_id, Device="/dev/sdk")
    return ids
