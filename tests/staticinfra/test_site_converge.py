"""A real converge of staticinfra/site.yml against a fake EC2 host (see fake_ec2_host.py).

One blank volume (already in moto with the role's tags, as after an earlier run, see
fake_ec2_host.py for why), converged twice: the first run must build everything, the second must
change nothing; the tests below then inspect the host, the moto state and the reboot path.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.staticinfra.fake_ec2_host import (
    STAND_IN_PYTHON,
    FakeEc2Host,
    HostFactory,
    PlaybookRun,
)

pytestmark = [pytest.mark.integration, pytest.mark.slow]

MARKER = "written before the second run\n"
CRON_FILE = "/etc/cron.d/ebs-host-identity"


@dataclass
class Converged:
    host: FakeEc2Host
    first: PlaybookRun
    second: PlaybookRun


@pytest.fixture(scope="module")
def converged(factory: HostFactory) -> Converged:
    host = factory.create("fake-ec2-1")
    first = host.converge()
    assert first.returncode == 0, first.output[-6000:]
    host.container.sh(f"printf %s {shlex.quote(MARKER)} > /example/marker.txt")
    second = host.converge()
    assert second.returncode == 0, second.output[-6000:]
    return Converged(host, first, second)


def findmnt(host: FakeEc2Host, field: str) -> str:
    result = host.container.exec(
        "findmnt", "--noheadings", "--output", field, "--mountpoint", "/example", check=False
    )
    return result.stdout.strip()


def test_first_run_changes_the_host(converged: Converged) -> None:
    recap = converged.first.recap[converged.host.inventory_name]
    assert recap["failed"] == 0 and recap["unreachable"] == 0
    assert recap["changed"] > 0


def test_second_run_reports_no_change(converged: Converged) -> None:
    recap = converged.second.recap[converged.host.inventory_name]
    assert recap == {**recap, "changed": 0, "failed": 0, "unreachable": 0}, converged.second.output


def test_the_tagged_volume_is_found_again_and_attached(converged: Converged) -> None:
    host = converged.host
    volumes = host.volumes()
    assert [v["VolumeId"] for v in volumes] == [host.precreated_volume_id]  # no duplicate
    volume = volumes[0]
    tags = {t["Key"]: t["Value"] for t in volume["Tags"]}
    assert (volume["VolumeType"], volume["Encrypted"], volume["Size"]) == ("gp3", True, 10)
    assert volume["AvailabilityZone"] == host.instance["Placement"]["AvailabilityZone"]
    assert tags["Name"] == "fake-ec2-1-example"
    assert tags["MountPoint"] == "/example"
    assert [(a["InstanceId"], a["Device"]) for a in volume["Attachments"]] == [
        (host.instance_id, "/dev/sdf")
    ]
    assert sorted(host.udev.linked) == [volume["VolumeId"]]


def test_volume_is_ext4_and_mounted_at_example(converged: Converged) -> None:
    host = converged.host
    assert findmnt(host, "FSTYPE") == "ext4"
    assert findmnt(host, "SOURCE") == host.loop.path
    probe = host.container.exec(
        "blkid", "--probe", "--output", "value", "--match-tag", "TYPE", host.loop.path
    )
    assert probe.stdout.strip() == "ext4"


def test_fstab_mounts_by_uuid_with_nofail(converged: Converged) -> None:
    host = converged.host
    uuid = host.container.exec(
        "blkid", "--probe", "--output", "value", "--match-tag", "UUID", host.loop.path
    ).stdout.strip()
    entries = [
        line.split()
        for line in host.container.exec("cat", "/etc/fstab").stdout.splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]
    example = [e for e in entries if e[1] == "/example"]
    assert len(example) == 1
    source, _, fstype, options, *_ = example[0]
    assert source == f"UUID={uuid}"
    assert fstype == "ext4"
    assert "nofail" in options.split(",")


def test_data_survives_the_second_run(converged: Converged) -> None:
    content = converged.host.container.exec("cat", "/example/marker.txt").stdout
    assert content == MARKER


def test_mount_a_restores_the_mount_as_after_a_reboot(converged: Converged) -> None:
    host = converged.host
    host.container.exec("umount", "/example")
    assert findmnt(host, "TARGET") == ""
    assert host.container.exec("test", "-e", "/example/marker.txt", check=False).returncode != 0

    host.container.exec("mount", "-a")

    assert findmnt(host, "FSTYPE") == "ext4"
    assert host.container.exec("cat", "/example/marker.txt").stdout == MARKER


def test_cron_runs_the_script_every_15_minutes(converged: Converged) -> None:
    host = converged.host
    jobs = [
        line
        for line in host.container.exec("cat", CRON_FILE).stdout.splitlines()
        if line and not line.startswith("#") and "=" not in line.split()[0]
    ]
    assert len(jobs) == 1
    fields = jobs[0].split()
    assert fields[:6] == ["*/15", "*", "*", "*", "*", "root"]
    assert "/usr/local/bin/host-identity" in fields[6:]
    # The cron daemon is running (its pid file names a live cron process).
    pid = host.container.exec("cat", "/run/crond.pid").stdout.strip()
    assert host.container.exec("cat", f"/proc/{pid}/comm").stdout.strip() == "cron"


def test_cron_command_writes_ip_and_hostname(converged: Converged) -> None:
    host = converged.host
    job = next(
        line
        for line in host.container.exec("cat", CRON_FILE).stdout.splitlines()
        if line.startswith("*/15")
    )
    command = " ".join(job.split()[6:])
    host.container.exec("rm", "-f", "/example/ip.txt", "/example/hostname.txt")

    host.container.sh(command)

    hostname = host.container.exec("hostname").stdout.strip()
    assert hostname == host.inventory_name
    ip = host.container.exec("cat", "/example/ip.txt").stdout
    assert ip == host.instance["PrivateIpAddress"] + "\n"  # from (fake) IMDSv2
    assert host.container.exec("cat", "/example/hostname.txt").stdout == hostname + "\n"


def test_first_run_wrote_the_files_with_imdsv2(converged: Converged) -> None:
    reads = [r for r in converged.host.imds.requests if r[0] == "GET"]
    assert reads and all(valid for _, _, valid in reads)  # every read carried the token
    assert ("GET", "/latest/meta-data/local-ipv4", True) in reads


def test_pinned_boto3_is_installed_with_the_pythons_pip(converged: Converged) -> None:
    host = converged.host
    version = host.container.exec(
        f"{STAND_IN_PYTHON}/bin/python3", "-c", "import boto3; print(boto3.__version__)"
    ).stdout.strip()
    pinned = (
        Path(__file__).resolve().parents[2]
        / "staticinfra/roles/ebs_host/files"
        / "boto3-requirements.txt"
    ).read_text()
    assert re.search(rf"^boto3=={re.escape(version)} ", pinned, re.MULTILINE)
    assert host.container.exec("readlink", "/usr/local/bin/pip3").stdout.strip() == (
        f"{STAND_IN_PYTHON}/bin/pip3"
    )
