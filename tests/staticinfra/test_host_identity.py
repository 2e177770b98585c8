"""Unit tests of the host identity script (staticinfra/roles/ebs_host/files/host_identity.py), run
as the real script (a subprocess). Also run on CPython 3.8 (the `py38` pass of `make test`)."""

from __future__ import annotations

import importlib.util
import os
import socket
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Iterator, List

import pytest

from tests.staticinfra.fake_imds import FakeImds
from tests.support.localaws import refused_port
from tests.support.tools import missing

pytestmark = pytest.mark.py38

SCRIPT = Path(__file__).resolve().parents[2] / "staticinfra/roles/ebs_host/files/host_identity.py"
IMDS_IP = "10.20.30.40"


def run_script(*args: str, mounted_check: bool = False) -> subprocess.CompletedProcess[str]:
    """Runs the script; most tests write to a plain temporary folder, so allow that."""
    extra = [] if mounted_check else ["--allow-unmounted"]
    return subprocess.run(
        [sys.executable, str(SCRIPT), *args, *extra], capture_output=True, text=True, timeout=60
    )


def load_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("host_identity", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def route_source_address() -> str:
    """The default route's source address as iproute2 reports it (an independent oracle)."""
    out = subprocess.run(
        ["ip", "-4", "route", "get", "192.0.2.1"], capture_output=True, text=True, check=True
    ).stdout.split()
    return out[out.index("src") + 1]


@pytest.fixture
def imds() -> Iterator[FakeImds]:
    with FakeImds({"local-ipv4": IMDS_IP}) as server:
        yield server


def leftovers(directory: Path) -> List[str]:
    return sorted(p.name for p in directory.iterdir() if p.name.startswith("."))


def test_imdsv2_address_and_hostname_are_written(imds: FakeImds, tmp_path: Path) -> None:
    result = run_script("--output-dir", str(tmp_path), "--imds-url", imds.url)

    assert result.returncode == 0, result.stderr
    assert (tmp_path / "ip.txt").read_text() == IMDS_IP + "\n"
    assert (tmp_path / "hostname.txt").read_text() == socket.gethostname() + "\n"
    # IMDSv2: a token PUT first, then the read carrying that token.
    assert imds.requests[0] == ("PUT", "/latest/api/token", False)
    assert ("GET", "/latest/meta-data/local-ipv4", True) in imds.requests
    assert leftovers(tmp_path) == []


def test_existing_files_are_replaced_not_appended(imds: FakeImds, tmp_path: Path) -> None:
    (tmp_path / "ip.txt").write_text("192.0.2.99\nstale\n")
    (tmp_path / "hostname.txt").write_text("old-name\n")

    result = run_script("--output-dir", str(tmp_path), "--imds-url", imds.url)

    assert result.returncode == 0, result.stderr
    assert (tmp_path / "ip.txt").read_text() == IMDS_IP + "\n"
    assert (tmp_path / "hostname.txt").read_text() == socket.gethostname() + "\n"
    assert (tmp_path / "ip.txt").stat().st_mode & 0o777 == 0o644


def test_without_imds_the_primary_interface_address_is_used(tmp_path: Path) -> None:
    with refused_port() as nowhere:  # like a host that is not on EC2
        result = run_script(
            "--output-dir", str(tmp_path), "--imds-url", f"http://127.0.0.1:{nowhere}"
        )

    assert result.returncode == 0, result.stderr
    assert (tmp_path / "ip.txt").read_text() == route_source_address() + "\n"
    assert (tmp_path / "hostname.txt").read_text() == socket.gethostname() + "\n"


def test_imds_that_rejects_the_token_falls_back(imds: FakeImds, tmp_path: Path) -> None:
    imds.accept_tokens = False  # every read answers 401

    result = run_script("--output-dir", str(tmp_path), "--imds-url", imds.url)

    assert result.returncode == 0, result.stderr
    assert ("GET", "/latest/meta-data/local-ipv4", False) in imds.requests
    assert (tmp_path / "ip.txt").read_text() == route_source_address() + "\n"


def test_no_imds_flag_skips_metadata(imds: FakeImds, tmp_path: Path) -> None:
    result = run_script("--output-dir", str(tmp_path), "--imds-url", imds.url, "--no-imds")

    assert result.returncode == 0, result.stderr
    assert imds.requests == []
    assert (tmp_path / "ip.txt").read_text() == route_source_address() + "\n"


def test_missing_output_directory_fails_with_exit_1(imds: FakeImds, tmp_path: Path) -> None:
    result = run_script("--output-dir", str(tmp_path / "absent"), "--imds-url", imds.url)

    assert result.returncode == 1
    assert "cannot write" in result.stderr and "absent/ip.txt" in result.stderr


def test_failed_rename_leaves_no_partial_or_temporary_file(imds: FakeImds, tmp_path: Path) -> None:
    # A directory where hostname.txt should go makes the final rename fail (even for root).
    (tmp_path / "hostname.txt").mkdir()

    result = run_script("--output-dir", str(tmp_path), "--imds-url", imds.url)

    assert result.returncode == 1
    assert "hostname.txt" in result.stderr
    assert (tmp_path / "hostname.txt").is_dir()
    assert leftovers(tmp_path) == []


def test_no_address_at_all_exits_3(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    module = load_script()
    monkeypatch.setattr(module, "imds_local_ipv4", lambda url, timeout: None)
    monkeypatch.setattr(module, "primary_interface_ipv4", lambda: None)

    assert module.main(["--output-dir", str(tmp_path), "--allow-unmounted"]) == 3
    assert list(tmp_path.iterdir()) == []


def test_imds_answer_that_is_not_an_address_is_ignored(tmp_path: Path) -> None:
    with FakeImds({"local-ipv4": "<html>captive portal</html>"}) as imds:
        result = run_script("--output-dir", str(tmp_path), "--imds-url", imds.url)

    assert result.returncode == 0, result.stderr
    assert (tmp_path / "ip.txt").read_text() == route_source_address() + "\n"


def test_bad_arguments_exit_2(tmp_path: Path) -> None:
    result = run_script("--output-dir", str(tmp_path), "--timeout", "0")

    assert result.returncode == 2
    assert "--timeout" in result.stderr


def test_a_folder_on_the_root_filesystem_is_refused_with_exit_4(
    imds: FakeImds, tmp_path: Path
) -> None:
    # What /example is after a boot without the volume (nofail): a plain directory.
    result = run_script("--output-dir", str(tmp_path), "--imds-url", imds.url, mounted_check=True)

    assert result.returncode == 4
    assert "refusing to write" in result.stderr and "not a mounted volume" in result.stderr
    assert list(tmp_path.iterdir()) == []
    assert imds.requests == []  # refused before doing anything else


def test_the_root_directory_itself_is_refused(imds: FakeImds) -> None:
    result = run_script("--output-dir", "/", "--imds-url", imds.url, mounted_check=True)

    assert result.returncode == 4
    assert not Path("/ip.txt").exists()


@pytest.fixture
def mounted(tmp_path: Path) -> Iterator[Path]:
    """A real mount point (tmpfs), standing in for the mounted volume."""
    if os.geteuid() != 0:
        missing("mounting a tmpfs needs root")
    target = tmp_path / "volume"
    target.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(target)], check=True)
    try:
        yield target
    finally:
        subprocess.run(["umount", str(target)], check=False)


def test_a_mounted_volume_is_written(imds: FakeImds, mounted: Path) -> None:
    result = run_script("--output-dir", str(mounted), "--imds-url", imds.url, mounted_check=True)

    assert result.returncode == 0, result.stderr
    assert (mounted / "ip.txt").read_text() == IMDS_IP + "\n"
    assert (mounted / "hostname.txt").read_text() == socket.gethostname() + "\n"


def test_help_explains_the_exit_codes() -> None:
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "--help"], capture_output=True, text=True, timeout=60
    )

    assert result.returncode == 0
    assert "--allow-unmounted" in result.stdout and "exit 4" in result.stdout
