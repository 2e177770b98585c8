"""Fixtures for converging the staticinfra playbook against fake EC2 hosts."""

from __future__ import annotations

import os
from contextlib import ExitStack
from typing import Dict, Iterator

import pytest

from tests.staticinfra.fake_ec2_host import HostFactory, ensure_target_image
from tests.support.localaws import MotoServer
from tests.support.tools import missing


@pytest.fixture(scope="module")
def aws_module_env(moto_server: MotoServer) -> Dict[str, str]:
    """What the ``aws_env`` fixture sets, for a module-scoped scenario (moto reset first)."""
    moto_server.reset()
    return moto_server.env()


@pytest.fixture(scope="module")
def factory(
    aws_module_env: Dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[HostFactory]:
    """Makes fake EC2 hosts; every container and loop device is removed when the module ends."""
    if os.geteuid() != 0:
        missing("loop devices and mounts need root")
    image = ensure_target_image()
    with ExitStack() as stack:
        yield HostFactory(stack, image, aws_module_env, tmp_path_factory.mktemp("staticinfra"))
