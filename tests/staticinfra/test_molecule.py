"""`molecule test` of staticinfra (scenario staticinfra/molecule/default), the role's real test.

This module starts the EC2 stand-ins (tests/staticinfra/ebs_lab.py: moto, IMDSv2, loop devices,
udev names), runs Molecule against them and fails when Molecule fails. Molecule's own steps do
the checking: converge of site.yml from no volume at all, idempotence (changed=0 on the second
converge), the refused ext2 disk and the forced erase (side_effect.yml), and verify.yml (sudo,
one volume per instance for two instances with the same Name tag, mount/fstab, cron firing by
itself, nothing written when /example is not mounted, `umount` + `mount -a`, Python 3.8.18 +
boto3).
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Dict, Iterator

import pytest

from tests.staticinfra.ebs_lab import STATICINFRA, EbsLab, run
from tests.support.localaws import DUMMY_CREDENTIALS, free_port
from tests.support.tools import missing, require_tool

pytestmark = [pytest.mark.integration, pytest.mark.slow]

# About 8 minutes on an idle 2-core machine; allow for a busy one (shared CI runners).
MOLECULE_TIMEOUT = 1700


@pytest.fixture
def aws_like_moto() -> Iterator[Dict[str, str]]:
    """A moto server (in this process) that describes volumes as AWS does.

    AWS's DescribeVolumes always returns ``MultiAttachEnabled`` (false unless enabled) and
    ``SnapshotId`` ("" for a volume not made from a snapshot); moto leaves both out unless they
    were given at creation, and amazon.aws ``ec2_vol``/``ec2_vol_info`` then fail with KeyError
    on a volume the role itself created. Setting the documented defaults on moto's volume model
    keeps the create-then-re-run path real instead of pre-creating the volume for the role.
    """
    from moto.ec2.models import elastic_block_store
    from moto.server import ThreadedMotoServer

    original = elastic_block_store.Volume.__init__

    def init_as_aws(self: Any, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        if self.multi_attach_enabled is None:
            self.multi_attach_enabled = False
        if self.snapshot_id is None:
            self.snapshot_id = ""

    elastic_block_store.Volume.__init__ = init_as_aws  # type: ignore[method-assign]
    # One log line per EC2 call would bury a failure's own output.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield {
            "AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_REGION": "us-east-1",
            **DUMMY_CREDENTIALS,
            "AWS_CONFIG_FILE": os.devnull,
            "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
            "AWS_EC2_METADATA_DISABLED": "true",
        }
    finally:
        server.stop()
        elastic_block_store.Volume.__init__ = original  # type: ignore[method-assign]


@pytest.mark.timeout(MOLECULE_TIMEOUT + 200)
def test_molecule_scenario_passes(aws_like_moto: Dict[str, str], tmp_path: Path) -> None:
    if os.geteuid() != 0:
        missing("loop devices and mounts need root")
    require_tool("losetup")
    # molecule and ansible-playbook come from the virtualenv running the tests (make venv).
    bin_dir = str(Path(sys.executable).parent)
    search = bin_dir + os.pathsep + os.environ.get("PATH", "")
    molecule = require_tool("molecule", "pip install molecule 'molecule-plugins[podman]'", search)
    log = tmp_path / "molecule.log"
    started = time.monotonic()
    with EbsLab(aws_like_moto, tmp_path) as lab:
        env = dict(os.environ)
        env.update(lab.env())
        env.update(
            {
                # ansible-playbook and friends from the same virtualenv as molecule.
                "PATH": bin_dir + os.pathsep + env.get("PATH", ""),
                "ANSIBLE_HOME": str(STATICINFRA.parent / ".cache" / "ansible"),
                "ANSIBLE_NOCOLOR": "1",
                "ANSIBLE_FORCE_COLOR": "0",
                "NO_COLOR": "1",
                "PYTHONUNBUFFERED": "1",
            }
        )
        with log.open("w") as out:
            result = subprocess.run(
                [molecule, "test"],
                cwd=STATICINFRA,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                timeout=MOLECULE_TIMEOUT,
                check=False,
            )
        errors = lab.udev_errors()
        devices = [h.loop.path for h in lab.hosts.values()]
    elapsed = time.monotonic() - started
    output = log.read_text()
    print(f"molecule test took {elapsed:.0f} s (log: {log})", file=sys.stderr)
    assert result.returncode == 0, output[-12000:]
    assert not errors, errors
    # Molecule ran every step of the sequence, idempotence included.
    for step in ("converge", "idempotence", "side_effect", "verify"):
        assert f"[default > {step}]" in output or f"Running default > {step}" in output, step
    # Every loop device was detached when the lab closed.
    attached = run(["losetup", "--list", "--noheadings", "--output", "NAME"]).stdout.split()
    assert not set(devices) & set(attached)
