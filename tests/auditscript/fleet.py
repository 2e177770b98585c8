"""Hand-built fleets: every expected number comes from what the test asked moto to create."""

from __future__ import annotations

import datetime as dt
from typing import Any, Dict, List, Optional, Sequence

AMI = "ami-12c6146b"  # one of moto's built-in AMIs; its root device is /dev/sda1
ROOT = "/dev/sda1"


def launch(
    ec2: Any,
    instance_type: str = "t3.micro",
    root_gib: int = 8,
    data_gib: Sequence[int] = (),
    name: Optional[str] = None,
    count: int = 1,
) -> List[Dict[str, Any]]:
    """Launch ``count`` instances with an explicit root volume and data volumes at launch."""
    mappings = [{"DeviceName": ROOT, "Ebs": {"VolumeSize": root_gib}}]
    for index, size in enumerate(data_gib):
        mappings.append(
            {"DeviceName": f"/dev/sd{chr(ord('f') + index)}", "Ebs": {"VolumeSize": size}}
        )
    kwargs: Dict[str, Any] = {
        "ImageId": AMI,
        "MinCount": count,
        "MaxCount": count,
        "InstanceType": instance_type,
        "BlockDeviceMappings": mappings,
    }
    if name is not None:
        kwargs["TagSpecifications"] = [
            {"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": name}]}
        ]
    return list(ec2.run_instances(**kwargs)["Instances"])


def attach_new_volume(ec2: Any, instance: Dict[str, Any], size: int, device: str) -> str:
    zone = instance["Placement"]["AvailabilityZone"]
    volume_id = ec2.create_volume(Size=size, AvailabilityZone=zone)["VolumeId"]
    ec2.attach_volume(VolumeId=volume_id, InstanceId=instance["InstanceId"], Device=device)
    return volume_id


def iso_z(value: dt.datetime) -> str:
    return value.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
