"""The EC2 stand-ins that the Molecule scenario (staticinfra/molecule/default) runs against.

Molecule creates the instances (podman containers) and runs the playbook; what a container
cannot provide by itself is provided here, each piece standing in for one part of EC2:

- the instances in the EC2 API: launched in the moto server (``AWS_ENDPOINT_URL``), so every
  host has a real-looking instance id, AZ and private IP, and two of them share a Name tag;
- the EBS disk: one loop device per instance on a sparse file, passed into the container;
- the kernel + udev naming the attached NVMe disk: ``FakeUdev`` watches moto and, once a volume
  is attached to the instance, creates ``/dev/disk/by-id/nvme-Amazon_Elastic_Block_Store_vol…``
  in the container pointing at the loop device, as a Nitro host would after the attach call; it
  also keeps ``/dev/disk/by-uuid/<filesystem UUID>`` current, as udev does after mkfs
  (``mount UUID=…`` resolves through that link; a container has no udev);
- the instance metadata service: one ``FakeImds`` (IMDSv2 only) per instance on host loopback
  (the containers share the host network), serving that instance's id, AZ, region and IP;
- the AMI: a Debian 12 image with python3, sudo and an ``admin`` user (as Debian's AMIs), plus
  the machine's real CPython 3.8.18 (pyenv) at ``/opt/python3.8``, the prefix the role's
  "already installed, do not build" path expects.

``EbsLab.env()`` hands all of it to ``molecule.yml`` as environment variables. Everything is
undone on exit: containers removed, loop devices detached (``losetup -d``), servers stopped.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import tempfile
import threading
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional

import boto3

from tests.staticinfra.fake_imds import FakeImds
from tests.support.tools import require_tool

REPO_ROOT = Path(__file__).resolve().parents[2]
STATICINFRA = REPO_ROOT / "staticinfra"
HOST_CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")
CONTAINER_CA_BUNDLE = "/run/host-ca/ca-certificates.crt"
# The prefix the role installs Python 3.8 into (ebs_host_python_prefix).
PYTHON_PREFIX = "/opt/python3.8"
# The Name tag the two web instances share, as instances of one Auto Scaling group do.
SHARED_NAME = "web"
# Debian AMIs (cloud-init) give the login user passwordless sudo with this file.
TARGET_CONTAINERFILE = f"""\
FROM localhost/debian:bookworm
RUN apt-get update -qq \\
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \\
      python3 sudo busybox-syslogd >/dev/null \\
 && rm -rf /var/lib/apt/lists/* \\
 && useradd --create-home --shell /bin/bash admin \\
 && echo 'admin ALL=(ALL) NOPASSWD:ALL' > /etc/sudoers.d/90-cloud-init-users \\
 && chmod 0440 /etc/sudoers.d/90-cloud-init-users
# The real CPython 3.8.18 of this machine, as `make altinstall` would have left it (no pip: the
# role's ensurepip step installs it). pyenv links libpython by RUNPATH to its own folder, so the
# loader is told where the library moved.
COPY python3.8 {PYTHON_PREFIX}
RUN echo {PYTHON_PREFIX}/lib > /etc/ld.so.conf.d/python3.8.conf && ldconfig
CMD ["sleep", "infinity"]
"""


def run(cmd: List[str], check: bool = True, timeout: int = 120) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    if check and result.returncode != 0:
        raise AssertionError(f"{cmd} exited {result.returncode}:\n{result.stdout}{result.stderr}")
    return result


def pyenv_python38() -> Path:
    """The pyenv CPython 3.8 tree (the interpreter the team hands us), found as python38.sh does."""
    found = run(["bash", str(REPO_ROOT / "tests/support/python38.sh")], check=False)
    if found.returncode != 0:
        require_tool("python3.8", "pyenv install 3.8.18 (or set PYTHON38)")
    return Path(found.stdout.strip()).resolve().parents[1]


def ensure_target_image() -> str:
    """Build (once per content, cached by podman) the Debian 12 image the instances run."""
    require_tool("podman")
    require_tool("debootstrap", "apt-get install debootstrap")
    run(["bash", str(REPO_ROOT / "tests/support/base-image.sh")], timeout=600)
    prefix = pyenv_python38()
    digest = hashlib.sha256((TARGET_CONTAINERFILE + str(prefix)).encode()).hexdigest()[:12]
    image = f"localhost/staticinfra-target:{digest}"
    if run(["podman", "image", "exists", image], check=False).returncode == 0:
        return image
    with tempfile.TemporaryDirectory(prefix="staticinfra-image.") as context:
        stage = Path(context) / "python3.8"
        # Leave out the test suite, caches and pip (the role installs pip with ensurepip).
        site = "./lib/python3.8/site-packages"
        excludes = ["./lib/python3.8/test", "*/__pycache__", "./bin/pip*", f"{site}/pip*"]
        excludes += [f"{site}/setuptools*", f"{site}/_distutils_hack"]
        excludes += [f"{site}/distutils-precedence.pth"]
        tar = ["tar", "-C", str(prefix), "-c", *(f"--exclude={e}" for e in excludes), "."]
        stage.mkdir()
        packed = subprocess.run(tar, capture_output=True, check=True, timeout=300)
        subprocess.run(["tar", "-C", str(stage), "-x"], input=packed.stdout, check=True)
        # Scripts in bin/ name the pyenv interpreter in their #! line; point them at the prefix.
        for script in (stage / "bin").iterdir():
            if script.is_file() and not script.is_symlink():
                data = script.read_bytes()
                old = str(prefix).encode()
                if data.startswith(b"#!" + old):
                    script.write_bytes(data.replace(old, PYTHON_PREFIX.encode(), 1))
        (Path(context) / "Containerfile").write_text(TARGET_CONTAINERFILE)
        run(
            ["podman", "build", "-q", "--format", "docker", "-t", image, context],
            timeout=600,
        )
    return image


class LoopDevice:
    """A sparse file attached to a free loop device; detached on exit, whatever happened."""

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
            self.path = ""


def podman_exec(
    container: str, script: str, check: bool = True
) -> subprocess.CompletedProcess[str]:
    return run(["podman", "exec", container, "sh", "-c", script], check=check)


class FakeUdev:
    """Names the attached volume's disk in the container the way udev does on Nitro."""

    def __init__(self, ec2: Any, instance: Dict[str, Any], device: str) -> None:
        self.ec2 = ec2
        self.instance_id = str(instance["InstanceId"])
        self.root_device = str(instance["RootDeviceName"])
        self.device = device
        self.linked: Dict[str, str] = {}
        self.uuid: Optional[str] = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self.error: Optional[Exception] = None

    def _container_running(self) -> bool:
        state = run(
            ["podman", "inspect", "--format", "{{.State.Running}}", self.instance_id], check=False
        )
        return state.stdout.strip() == "true"

    def _watch(self) -> None:
        try:
            while not self._stop.wait(0.3):
                if not self._container_running():
                    # Not created yet, or re-created by molecule: links must be made again.
                    self.linked, self.uuid = {}, None
                    continue
                volumes = self.ec2.describe_volumes(
                    Filters=[{"Name": "attachment.instance-id", "Values": [self.instance_id]}]
                )["Volumes"]
                for volume in volumes:
                    # Only the data disk is our loop device; moto also attaches a root volume.
                    devices = {a["Device"] for a in volume["Attachments"]}
                    if volume["VolumeId"] not in self.linked and self.root_device not in devices:
                        self.link(volume["VolumeId"])
                if self.linked:
                    self.publish_uuid()
        except Exception as exc:  # noqa: BLE001 (reported by the test, not lost in the thread)
            self.error = exc

    def link(self, volume_id: str) -> None:
        name = "nvme-Amazon_Elastic_Block_Store_" + volume_id.replace("-", "")
        podman_exec(
            self.instance_id,
            f"mkdir -p /dev/disk/by-id && ln -sfn {self.device} /dev/disk/by-id/{name}",
        )
        self.linked[volume_id] = f"/dev/disk/by-id/{name}"

    def publish_uuid(self) -> None:
        probe = run(["blkid", "-p", "-o", "value", "-s", "UUID", self.device], check=False)
        uuid_now = probe.stdout.strip() or None
        if uuid_now == self.uuid:
            return
        script = "mkdir -p /dev/disk/by-uuid"
        if self.uuid:
            script += f" && rm -f /dev/disk/by-uuid/{self.uuid}"
        if uuid_now:
            script += f" && ln -sfn {self.device} /dev/disk/by-uuid/{uuid_now}"
        podman_exec(self.instance_id, script)
        self.uuid = uuid_now

    def __enter__(self) -> FakeUdev:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=10)


@dataclass
class LabHost:
    """One instance: its moto record, disk, metadata service and udev stand-in."""

    key: str
    instance: Dict[str, Any]
    loop: LoopDevice
    udev: FakeUdev
    imds: Optional[FakeImds] = None

    @property
    def instance_id(self) -> str:
        return str(self.instance["InstanceId"])

    @property
    def zone(self) -> str:
        return str(self.instance["Placement"]["AvailabilityZone"])

    @property
    def hostname(self) -> str:
        # What EC2's default (IP-based) hostname looks like for this instance.
        return "ip-" + str(self.instance["PrivateIpAddress"]).replace(".", "-")


def launch_instance(ec2: Any, name: str, zone: str) -> Dict[str, Any]:
    image_id = ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
    tags = [{"Key": "Role", "Value": "ebs-host"}, {"Key": "Name", "Value": name}]
    reservation = ec2.run_instances(
        ImageId=image_id,
        InstanceType="t3.micro",
        MinCount=1,
        MaxCount=1,
        Placement={"AvailabilityZone": zone},
        TagSpecifications=[{"ResourceType": "instance", "Tags": tags}],
    )
    return dict(reservation["Instances"][0])


@dataclass
class EbsLab:
    """Two web instances sharing a Name tag (A, B) and one whose disk holds foreign data (C)."""

    aws_env: Dict[str, str]
    workdir: Path
    stack: ExitStack = field(default_factory=ExitStack)
    hosts: Dict[str, LabHost] = field(default_factory=dict)
    image: str = ""

    def ec2(self) -> Any:
        return boto3.client(
            "ec2",
            region_name=self.aws_env["AWS_DEFAULT_REGION"],
            endpoint_url=self.aws_env["AWS_ENDPOINT_URL"],
            aws_access_key_id=self.aws_env["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=self.aws_env["AWS_SECRET_ACCESS_KEY"],
        )

    def __enter__(self) -> EbsLab:
        try:
            self.image = ensure_target_image()
            ec2 = self.ec2()
            layout = {"A": (SHARED_NAME, "us-east-1a"), "B": (SHARED_NAME, "us-east-1b")}
            layout["C"] = ("reused-disk", "us-east-1a")
            for key, (name, zone) in layout.items():
                instance = launch_instance(ec2, name, zone)
                loop = self.stack.enter_context(LoopDevice(self.workdir / f"disk-{key}.img"))
                udev = self.stack.enter_context(FakeUdev(self.ec2(), instance, loop.path))
                host = LabHost(key, instance, loop, udev)
                if key != "C":  # C is converged with explicit identity variables, no IMDS
                    host.imds = self.stack.enter_context(
                        FakeImds(
                            {
                                "instance-id": host.instance_id,
                                "placement/availability-zone": host.zone,
                                "placement/region": host.zone[:-1],
                                "local-ipv4": str(instance["PrivateIpAddress"]),
                            }
                        )
                    )
                self.hosts[key] = host
                # Whatever molecule leaves behind is removed before the loop devices go.
                self.stack.callback(run, ["podman", "rm", "-f", "-t", "0", host.instance_id], False)
        except BaseException:
            self.stack.close()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.stack.close()

    def env(self) -> Dict[str, str]:
        """What molecule.yml reads: image, CA bundle, and per host its id, disk, IMDS, name."""
        env = dict(self.aws_env)
        env["EBS_LAB_IMAGE"] = self.image
        env["EBS_LAB_CA_BUNDLE"] = str(HOST_CA_BUNDLE)
        env["EBS_LAB_NAME_TAG"] = SHARED_NAME
        for key, host in self.hosts.items():
            env[f"EBS_LAB_{key}_ID"] = host.instance_id
            env[f"EBS_LAB_{key}_DEVICE"] = host.loop.path
            env[f"EBS_LAB_{key}_ZONE"] = host.zone
            env[f"EBS_LAB_{key}_HOSTNAME"] = host.hostname
            env[f"EBS_LAB_{key}_IP"] = str(host.instance["PrivateIpAddress"])
            env[f"EBS_LAB_{key}_IMDS"] = host.imds.url if host.imds else "http://127.0.0.1:9"
        return env

    def udev_errors(self) -> List[str]:
        return [f"{k}: {h.udev.error!r}" for k, h in self.hosts.items() if h.udev.error]


def lab_env_for_shell(lab: EbsLab) -> str:
    """``export`` lines, for running molecule by hand against a lab (see the README)."""
    return "".join(f"export {k}={v!r}\n" for k, v in sorted(lab.env().items()))


if __name__ == "__main__":  # pragma: no cover (a developer convenience)
    print(ensure_target_image(), flush=True)
    os._exit(0)
