"""The example inventories parse, and the aws_ec2 one finds the right instances (moto)."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any, Dict

import boto3

from tests.support.localaws import MotoServer
from tests.support.tools import require_tool

STATICINFRA = Path(__file__).resolve().parents[2] / "staticinfra"


def inventory(path: str) -> Dict[str, Any]:
    tool = require_tool("ansible-inventory", "pip install ansible")
    env = dict(os.environ)
    env["ANSIBLE_CONFIG"] = str(STATICINFRA / "ansible.cfg")
    env.setdefault("ANSIBLE_HOME", str(STATICINFRA.parent / ".cache" / "ansible"))
    result = subprocess.run(
        [tool, "-i", path, "--list"],
        cwd=STATICINFRA,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return dict(json.loads(result.stdout))


def plain(value: Any) -> Any:
    """ansible-inventory marks templated values as unsafe: {"__ansible_unsafe": value}."""
    return value["__ansible_unsafe"] if isinstance(value, dict) else value


def launch(ec2: Any, name: str, role: str) -> Dict[str, Any]:
    image_id = ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
    tags = [{"Key": "Name", "Value": name}, {"Key": "Role", "Value": role}]
    return dict(
        ec2.run_instances(
            ImageId=image_id,
            MinCount=1,
            MaxCount=1,
            TagSpecifications=[{"ResourceType": "instance", "Tags": tags}],
        )["Instances"][0]
    )


def test_static_inventory_puts_hosts_in_ebs_hosts() -> None:
    data = inventory("inventories/static/hosts.yml")
    assert sorted(data["ebs_hosts"]["hosts"]) == ["app-1", "app-2"]


def test_aws_ec2_inventory_selects_tagged_running_instances(aws_env: MotoServer) -> None:
    ec2 = boto3.client("ec2")
    wanted = launch(ec2, "app-1", "ebs-host")
    launch(ec2, "db-1", "database")

    data = inventory("inventories/aws_ec2.yml")

    instance_id = wanted["InstanceId"]
    assert data["ebs_hosts"]["hosts"] == [instance_id]
    hostvars = data["_meta"]["hostvars"][instance_id]
    assert plain(hostvars["ansible_host"]) == wanted["PrivateIpAddress"]
    assert plain(hostvars["ansible_user"]) == "admin"
    assert plain(hostvars["ebs_host_name_tag"]) == "app-1"
    zone_group = "az_" + wanted["Placement"]["AvailabilityZone"].replace("-", "_")
    assert data[zone_group]["hosts"] == [instance_id]


def test_instances_sharing_a_name_tag_are_two_hosts(aws_env: MotoServer) -> None:
    # An Auto Scaling group gives all its instances the same Name tag.
    ec2 = boto3.client("ec2")
    first = launch(ec2, "web", "ebs-host")
    second = launch(ec2, "web", "ebs-host")

    data = inventory("inventories/aws_ec2.yml")

    assert sorted(data["ebs_hosts"]["hosts"]) == sorted([first["InstanceId"], second["InstanceId"]])
    for instance in (first, second):
        hostvars = data["_meta"]["hostvars"][instance["InstanceId"]]
        assert plain(hostvars["ebs_host_name_tag"]) == "web"
        assert plain(hostvars["ansible_host"]) == instance["PrivateIpAddress"]
