"""`make rehearse-fresh` removes only what the repo's install steps added (seen with --dry-run)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

SCRIPT = Path(__file__).resolve().parent / "support" / "rehearse-fresh.sh"


def dry_run(
    tmp_path: Path, state: list[str], conf_text: str
) -> tuple[subprocess.CompletedProcess[str], Path, Path]:
    state_dir = tmp_path / "state"
    state_dir.mkdir()
    (state_dir / "system-deps.installed").write_text("".join(f"{p}\n" for p in state))
    conf = tmp_path / "containers.conf"
    conf.write_text(conf_text)
    tools = tmp_path / "tools"
    tools.mkdir()
    env = dict(
        os.environ,
        SRE_STATE_DIR=str(state_dir),
        SRE_CONTAINERS_CONF=str(conf),
        SRE_TOOLS_CACHE=str(tools),
        PATH="/usr/bin:/bin",  # no podman: images are not this test's subject
    )
    result = subprocess.run(
        ["bash", str(SCRIPT), "--dry-run"], capture_output=True, text=True, env=env, timeout=60
    )
    return result, conf, tools


def test_dry_run_names_recorded_installed_packages_and_changes_nothing(tmp_path: Path) -> None:
    # bash is installed everywhere; the other name is recorded but not installed, so not purged.
    result, conf, tools = dry_run(
        tmp_path, ["bash", "sre-no-such-package"], "# Written by tests/support/system-deps.sh\n"
    )
    assert result.returncode == 0, result.stderr
    purge = next(line for line in result.stdout.splitlines() if line.startswith("would purge:"))
    assert " bash " in f"{purge} "
    assert "sre-no-such-package" not in purge
    assert f"would run: rm -f {conf}" in result.stdout
    assert f"would run: rm -rf {tools}" in result.stdout
    assert conf.exists() and tools.exists(), "--dry-run must not remove anything"


def test_a_containers_conf_it_did_not_write_is_kept(tmp_path: Path) -> None:
    result, conf, _ = dry_run(tmp_path, [], '[engine]\nruntime = "crun"\n')
    assert result.returncode == 0, result.stderr
    assert str(conf) not in result.stdout


def test_unknown_argument_is_a_usage_error(tmp_path: Path) -> None:
    result = subprocess.run(
        ["bash", str(SCRIPT), "--now"], capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 2
    assert "unknown argument" in result.stderr
