"""The volume paths the main converge does not take: a volume holding another filesystem (must be
refused, then erased only with the force variable) and a first run that creates the volume."""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from typing import Any, Dict

import boto3
import pytest

from tests.staticinfra.fake_ec2_host import FakeEc2Host, HostFactory, PlaybookRun

pytestmark = [pytest.mark.integration, pytest.mark.slow]

OLD_DATA = "data from the volume's previous life\n"


@dataclass
class Refused:
    host: FakeEc2Host
    run: PlaybookRun
    uuid_before: str


def probe(host: FakeEc2Host, tag: str) -> str:
    return host.container.exec(
        "blkid", "--probe", "--output", "value", "--match-tag", tag, host.loop.path
    ).stdout.strip()


def read_old_data(host: FakeEc2Host) -> str:
    host.container.sh(f"mkdir -p /mnt/old && mount -o ro {host.loop.path} /mnt/old")
    try:
        return host.container.exec("cat", "/mnt/old/keep.txt").stdout
    finally:
        host.container.exec("umount", "/mnt/old")


@pytest.fixture(scope="module")
def refused(factory: HostFactory) -> Refused:
    host = factory.create("fake-ec2-ext2")
    # The disk already holds an ext2 filesystem with a file: someone's data.
    host.container.sh(
        f"mkfs.ext2 -q {host.loop.path} && mkdir -p /mnt/old && mount {host.loop.path} /mnt/old"
        f" && printf %s {shlex.quote(OLD_DATA)} > /mnt/old/keep.txt && umount /mnt/old"
    )
    uuid_before = probe(host, "UUID")
    return Refused(host, host.converge(), uuid_before)


def test_a_volume_with_another_filesystem_fails_the_run(refused: Refused) -> None:
    assert refused.run.returncode != 0
    assert refused.run.recap[refused.host.inventory_name]["failed"] == 1
    assert "Refusing to format" in refused.run.output
    assert "already holds a ext2 filesystem" in refused.run.output.replace("\n", " ")
    assert "ebs_host_filesystem_force" in refused.run.output


def test_the_refused_volume_is_left_untouched(refused: Refused) -> None:
    host = refused.host
    assert probe(host, "TYPE") == "ext2"
    assert probe(host, "UUID") == refused.uuid_before
    assert read_old_data(host) == OLD_DATA
    mounts = host.container.exec("findmnt", "--mountpoint", "/example", check=False)
    assert mounts.returncode != 0
    assert "/example" not in host.container.exec("cat", "/etc/fstab").stdout


def test_force_erases_it_and_mounts_ext4(refused: Refused) -> None:
    host = refused.host
    run = host.converge(
        "--tags", "ebs_host_volume,ebs_host_filesystem", ebs_host_filesystem_force=True
    )

    assert run.returncode == 0, run.output[-6000:]
    assert probe(host, "TYPE") == "ext4"
    found = host.container.exec(
        "findmnt", "--noheadings", "--output", "FSTYPE", "--mountpoint", "/example"
    )
    assert found.stdout.strip() == "ext4"
    # force applies only to a foreign filesystem: a second forced run keeps our ext4 and data.
    host.container.sh("echo kept > /example/after-force.txt")
    again = host.converge(
        "--tags", "ebs_host_volume,ebs_host_filesystem", ebs_host_filesystem_force=True
    )
    assert again.returncode == 0, again.output[-6000:]
    assert again.recap[host.inventory_name]["changed"] == 0
    assert host.container.exec("cat", "/example/after-force.txt").stdout == "kept\n"


def kms_key_arn(aws_env: Dict[str, str]) -> str:
    kms: Any = boto3.client(
        "kms",
        region_name=aws_env["AWS_DEFAULT_REGION"],
        endpoint_url=aws_env["AWS_ENDPOINT_URL"],
        aws_access_key_id=aws_env["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=aws_env["AWS_SECRET_ACCESS_KEY"],
    )
    return str(kms.create_key(Description="ebs_host test")["KeyMetadata"]["Arn"])


def test_first_run_creates_an_encrypted_tagged_volume_without_imds(
    factory: HostFactory, aws_module_env: Dict[str, str]
) -> None:
    host = factory.create("fake-ec2-new", with_existing_volume=False)
    key = kms_key_arn(aws_module_env)
    zone = host.instance["Placement"]["AvailabilityZone"]
    host.imds.stop()  # the overrides below must be enough: no metadata read at all

    run = host.converge(
        "--tags",
        "ebs_host_volume",
        ebs_host_instance_id=host.instance_id,
        ebs_host_availability_zone=zone,
        ebs_host_region=zone[:-1],
        ebs_host_volume_kms_key_id=key,
        ebs_host_volume_tags={"Team": "sre"},
    )

    assert run.returncode == 0, run.output[-6000:]
    volumes = host.volumes()
    assert len(volumes) == 1
    volume = volumes[0]
    tags = {t["Key"]: t["Value"] for t in volume["Tags"]}
    assert (volume["VolumeType"], volume["Encrypted"], volume["KmsKeyId"]) == ("gp3", True, key)
    assert (volume["Iops"], volume["Throughput"], volume["AvailabilityZone"]) == (3000, 125, zone)
    assert tags == {
        "Name": "fake-ec2-new-example",
        "ManagedBy": "ansible-ebs_host",
        "MountPoint": "/example",
        "Team": "sre",
    }
    assert [(a["InstanceId"], a["Device"]) for a in volume["Attachments"]] == [
        (host.instance_id, "/dev/sdf")
    ]
    # The role waited for the device named after this volume id (our fake udev made it).
    assert sorted(host.udev.linked) == [volume["VolumeId"]]
    assert host.imds.requests == []
