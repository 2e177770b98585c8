"""A fake EC2 host for converging staticinfra/site.yml for real.

The pieces, each standing in for one part of EC2:

- the instance: a podman container of Debian 12 (python3 added so Ansible can run there);
- the EBS volume's disk: a loop device on a sparse file, passed into the container;
- the EC2 API: the moto server (the role creates or finds the volume there and attaches it);
- the kernel + udev naming the attached NVMe disk: ``FakeUdev`` watches moto and, once a volume
  is attached to the instance, creates ``/dev/disk/by-id/nvme-Amazon_Elastic_Block_Store_vol…``
  in the container pointing at the loop device, as a Nitro host would after the attach call;
  it also keeps ``/dev/disk/by-uuid/<filesystem UUID>`` current, as udev does after mkfs
  (``mount UUID=…`` resolves through that link; a container has no udev);
- the instance metadata service: ``FakeImds`` on host loopback (the container shares the host
  network), serving the moto instance's id, AZ, region and private IP.

moto gap: DescribeVolumes leaves out ``MultiAttachEnabled`` (and ``SnapshotId``) unless they were
given at creation, where AWS always returns them; amazon.aws ``ec2_vol`` then fails with
KeyError 'multi_attach_enabled' when it attaches an existing volume. ``precreate_volume`` makes
a volume the way AWS would describe it, so the re-run path can be exercised.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import threading
import uuid
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional

import boto3

from tests.staticinfra.fake_imds import FakeImds
from tests.support.tools import require_tool

REPO_ROOT = Path(__file__).resolve().parents[2]
STATICINFRA = REPO_ROOT / "staticinfra"
TARGET_IMAGE = "localhost/staticinfra-target:bookworm"
# Stands in for the Python 3.8 build, whose source release cannot be downloaded here.
STAND_IN_PYTHON = "/opt/python-stand-in"
HOST_CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")
CONTAINER_CA_BUNDLE = "/run/host-ca/ca-certificates.crt"
TARGET_CONTAINERFILE = f"""\
FROM localhost/debian:bookworm
RUN apt-get update -qq \\
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \\
      python3 python3-venv >/dev/null \\
 && rm -rf /var/lib/apt/lists/* \\
 && python3 -m venv --without-pip {STAND_IN_PYTHON}
CMD ["sleep", "infinity"]
"""
RECAP = re.compile(
    r"^(?P<host>\S+)\s*:\s*ok=(?P<ok>\d+)\s+changed=(?P<changed>\d+)\s+"
    r"unreachable=(?P<unreachable>\d+)\s+failed=(?P<failed>\d+)",
    re.MULTILINE,
)


def run(cmd: List[str], check: bool = True, timeout: int = 120) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    if check and result.returncode != 0:
        raise AssertionError(f"{cmd} exited {result.returncode}:\n{result.stdout}{result.stderr}")
    return result


def ensure_target_image() -> str:
    """Build (once, cached by podman) the Debian 12 image the fake instance runs."""
    require_tool("podman")
    require_tool("debootstrap", "apt-get install debootstrap")
    run(["bash", str(REPO_ROOT / "tests/support/base-image.sh")], timeout=600)
    if run(["podman", "image", "exists", TARGET_IMAGE], check=False).returncode != 0:
        subprocess.run(
            ["podman", "build", "-q", "--format", "docker", "-t", TARGET_IMAGE, "-f", "-"],
            input=TARGET_CONTAINERFILE,
            text=True,
            capture_output=True,
            check=True,
            timeout=600,
        )
    return TARGET_IMAGE


class LoopDevice:
    """A sparse file attached to a free loop device; detached on exit."""

    def __init__(self, backing: Path, size: str = "128M") -> None:
        self.backing = backing
        self.size = size
        self.path = ""

    def __enter__(self) -> LoopDevice:
        require_tool("losetup")
        run(["truncate", "-s", self.size, str(self.backing)])
        self.path = run(["losetup", "--find", "--show", str(self.backing)]).stdout.strip()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.path:
            run(["losetup", "--detach", self.path], check=False)


class Container:
    """The fake instance: a detached container that owns one loop device."""

    def __init__(self, image: str, hostname: str, device: str) -> None:
        self.name = f"staticinfra-{uuid.uuid4().hex[:10]}"
        self.image = image
        self.hostname = hostname
        self.device = device

    def __enter__(self) -> Container:
        cmd = ["podman", "run", "-d", "--name", self.name, "--hostname", self.hostname]
        # Host network: the container reaches the fake IMDS on 127.0.0.1 as an instance reaches
        # 169.254.169.254, and apt/pip reach the mirrors as the host does.
        cmd += ["--network", "host", "--uts", "private"]
        cmd += ["--cap-add", "SYS_ADMIN", "--device", self.device]
        if HOST_CA_BUNDLE.exists():
            # This machine reaches PyPI through a TLS proxy with a private CA.
            cmd += ["-v", f"{HOST_CA_BUNDLE}:{CONTAINER_CA_BUNDLE}:ro"]
        run([*cmd, self.image, "sleep", "infinity"])
        return self

    def exec(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return run(["podman", "exec", self.name, *args], check=check)

    def sh(self, script: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return self.exec("sh", "-c", script, check=check)

    def __exit__(self, *exc: object) -> None:
        run(["podman", "rm", "-f", "-t", "0", self.name], check=False)


class FakeUdev:
    """Names the attached volume's disk in the container the way udev does on Nitro."""

    def __init__(self, ec2: Any, instance_id: str, container: Container, root_device: str) -> None:
        self.ec2 = ec2
        self.instance_id = instance_id
        self.root_device = root_device
        self.container = container
        self.linked: Dict[str, str] = {}
        self.uuid: Optional[str] = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self.error: Optional[Exception] = None

    def _watch(self) -> None:
        try:
            while not self._stop.wait(0.3):
                volumes = self.ec2.describe_volumes(
                    Filters=[{"Name": "attachment.instance-id", "Values": [self.instance_id]}]
                )["Volumes"]
                for volume in volumes:
                    volume_id = volume["VolumeId"]
                    # Only the data disk is our loop device; moto also attaches a root volume.
                    devices = {a["Device"] for a in volume["Attachments"]}
                    if volume_id not in self.linked and self.root_device not in devices:
                        self.link(volume_id)
                if self.linked:
                    self.publish_uuid()
        except Exception as exc:  # noqa: BLE001 (reported by the test, not lost in the thread)
            self.error = exc

    def link(self, volume_id: str) -> None:
        name = "nvme-Amazon_Elastic_Block_Store_" + volume_id.replace("-", "")
        self.container.sh(
            f"mkdir -p /dev/disk/by-id && ln -sfn {self.container.device} /dev/disk/by-id/{name}"
        )
        self.linked[volume_id] = f"/dev/disk/by-id/{name}"

    def publish_uuid(self) -> None:
        probe = run(
            ["blkid", "-p", "-o", "value", "-s", "UUID", self.container.device], check=False
        )
        uuid_now = probe.stdout.strip() or None
        if uuid_now == self.uuid:
            return
        script = "mkdir -p /dev/disk/by-uuid"
        if self.uuid:
            script += f" && rm -f /dev/disk/by-uuid/{self.uuid}"
        if uuid_now:
            script += f" && ln -sfn {self.container.device} /dev/disk/by-uuid/{uuid_now}"
        self.container.sh(script)
        self.uuid = uuid_now

    def __enter__(self) -> FakeUdev:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=10)


@dataclass
class PlaybookRun:
    returncode: int
    output: str
    recap: Dict[str, Dict[str, int]] = field(default_factory=dict)

    @classmethod
    def parse(cls, returncode: int, output: str) -> PlaybookRun:
        recap = {
            m["host"]: {k: int(m[k]) for k in ("ok", "changed", "unreachable", "failed")}
            for m in RECAP.finditer(output.split("PLAY RECAP", 1)[-1])
        }
        return cls(returncode, output, recap)


@dataclass
class FakeEc2Host:
    """Everything one scenario needs: instance in moto, container, loop disk, IMDS, udev."""

    inventory_name: str
    container: Container
    loop: LoopDevice
    imds: FakeImds
    udev: FakeUdev
    instance: Dict[str, Any]
    ec2: Any
    workdir: Path
    aws_env: Dict[str, str]
    precreated_volume_id: Optional[str] = None
    runs: int = 0

    @property
    def instance_id(self) -> str:
        return str(self.instance["InstanceId"])

    @property
    def volume_name(self) -> str:
        return f"{self.inventory_name}-example"

    def test_vars(self) -> Dict[str, Any]:
        """Role variables for the test: the metadata URL and the Python stand-in."""
        extra: Dict[str, Any] = {
            "ebs_host_metadata_url": self.imds.url,
            # The only step not exercised: download + build of the CPython 3.8 release.
            "ebs_host_python_build_from_source": False,
            "ebs_host_python_install_build_dependencies": True,
            "ebs_host_python_executable": f"{STAND_IN_PYTHON}/bin/python3",
            "ebs_host_pip_executable": f"{STAND_IN_PYTHON}/bin/pip3",
            "ebs_host_python_links": {"pip3": f"{STAND_IN_PYTHON}/bin/pip3"},
            "ebs_host_device_wait_delay": 1,
        }
        if HOST_CA_BUNDLE.exists():
            extra["ebs_host_pip_environment"] = {"PIP_CERT": CONTAINER_CA_BUNDLE}
        return extra

    def write_inventory(self) -> Path:
        path = self.workdir / "hosts.yml"
        path.write_text(
            "ebs_hosts:\n"
            "  hosts:\n"
            f"    {self.inventory_name}:\n"
            "      ansible_connection: containers.podman.podman\n"
            f"      ansible_host: {self.container.name}\n"
            "      ansible_python_interpreter: /usr/bin/python3\n"
            # Already root in the container, and it has no sudo.
            "      ansible_become: false\n"
        )
        return path

    def converge(self, *extra_args: str, **overrides: Any) -> PlaybookRun:
        variables = {**self.test_vars(), **overrides}
        vars_file = self.workdir / f"vars-{uuid.uuid4().hex[:6]}.json"
        vars_file.write_text(json.dumps(variables))
        env = dict(os.environ)
        env.update(self.aws_env)
        env.update(
            {
                "ANSIBLE_HOME": str(REPO_ROOT / ".cache" / "ansible"),
                "ANSIBLE_NOCOLOR": "1",
                "ANSIBLE_FORCE_COLOR": "0",
                "ANSIBLE_CONFIG": str(STATICINFRA / "ansible.cfg"),
                "PYTHONUNBUFFERED": "1",
                # Per-task durations in the output, for whoever reads a failure.
                "ANSIBLE_CALLBACKS_ENABLED": "ansible.posix.profile_tasks",
            }
        )
        playbook = require_tool("ansible-playbook", "pip install ansible")
        cmd = [playbook, "-i", str(self.write_inventory()), "site.yml"]
        cmd += ["-e", f"@{vars_file}", *extra_args]
        result = subprocess.run(
            cmd, cwd=STATICINFRA, env=env, capture_output=True, text=True, timeout=900
        )
        self.runs += 1
        (self.workdir / f"run-{self.runs}.log").write_text(result.stdout + result.stderr)
        if self.udev.error is not None:
            raise AssertionError(f"fake udev failed: {self.udev.error!r}")
        return PlaybookRun.parse(result.returncode, result.stdout + result.stderr)

    def volumes(self) -> List[Dict[str, Any]]:
        return list(
            self.ec2.describe_volumes(Filters=[{"Name": "tag:Name", "Values": [self.volume_name]}])[
                "Volumes"
            ]
        )


def precreate_volume(ec2: Any, name: str, zone: str) -> str:
    """A volume as the role would have made it on an earlier run (same tags)."""
    volume = ec2.create_volume(
        AvailabilityZone=zone,
        Size=10,
        VolumeType="gp3",
        Encrypted=True,
        MultiAttachEnabled=False,
        TagSpecifications=[
            {
                "ResourceType": "volume",
                "Tags": [
                    {"Key": "Name", "Value": name},
                    {"Key": "ManagedBy", "Value": "ansible-ebs_host"},
                    {"Key": "MountPoint", "Value": "/example"},
                ],
            }
        ],
    )
    return str(volume["VolumeId"])


def launch_instance(ec2: Any) -> Dict[str, Any]:
    image_id = ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
    reservation = ec2.run_instances(
        ImageId=image_id,
        InstanceType="t3.micro",
        MinCount=1,
        MaxCount=1,
        Placement={"AvailabilityZone": "us-east-1b"},
        TagSpecifications=[
            {"ResourceType": "instance", "Tags": [{"Key": "Role", "Value": "ebs-host"}]}
        ],
    )
    return dict(reservation["Instances"][0])


@dataclass
class HostFactory:
    stack: ExitStack
    image: str
    aws_env: Dict[str, str]
    tmp: Path

    def ec2(self) -> Any:
        return boto3.client(
            "ec2",
            region_name=self.aws_env["AWS_DEFAULT_REGION"],
            endpoint_url=self.aws_env["AWS_ENDPOINT_URL"],
            aws_access_key_id=self.aws_env["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=self.aws_env["AWS_SECRET_ACCESS_KEY"],
        )

    def create(self, inventory_name: str, with_existing_volume: bool = True) -> FakeEc2Host:
        ec2 = self.ec2()
        instance = launch_instance(ec2)
        workdir = self.tmp / inventory_name
        workdir.mkdir()
        loop = self.stack.enter_context(LoopDevice(workdir / "disk.img"))
        container = self.stack.enter_context(Container(self.image, inventory_name, loop.path))
        placement = instance["Placement"]["AvailabilityZone"]
        imds = self.stack.enter_context(
            FakeImds(
                {
                    "instance-id": instance["InstanceId"],
                    "placement/availability-zone": placement,
                    "placement/region": placement[:-1],
                    "local-ipv4": instance["PrivateIpAddress"],
                }
            )
        )
        udev = self.stack.enter_context(
            FakeUdev(ec2, instance["InstanceId"], container, instance["RootDeviceName"])
        )
        host = FakeEc2Host(
            inventory_name, container, loop, imds, udev, instance, ec2, workdir, self.aws_env
        )
        if with_existing_volume:
            host.precreated_volume_id = precreate_volume(ec2, host.volume_name, placement)
        return host
