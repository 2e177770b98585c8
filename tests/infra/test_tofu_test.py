"""Runs the native `tofu test` files (plan-time assertions with a mocked provider)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.infra.tfengine import INFRA, copy_infra, find_engine

# Every root or module folder that has a tests/ folder with .tftest.hcl files.
TESTED_DIRS = sorted(
    {str(p.parent.parent.relative_to(INFRA)) for p in INFRA.glob("**/tests/*.tftest.hcl")}
)


def test_the_modules_with_resources_and_the_root_have_tests() -> None:
    expected = {"environments/prod"} | {
        f"modules/{m}" for m in ("data", "edge", "network", "service")
    }
    assert set(TESTED_DIRS) >= expected


@pytest.mark.slow
@pytest.mark.parametrize("folder", TESTED_DIRS)
def test_tftest_files_pass(folder: str, tmp_path: Path) -> None:
    engine = find_engine(tmp_path / "plugin-cache")
    work = copy_infra(tmp_path) / folder
    if "configuration_aliases" in (work / "versions.tf").read_text():
        # Run alone, the module needs the aliased provider block its caller would pass.
        (work / "zz_test_provider_aliases.tf").write_text('provider "aws" {\n  alias = "dr"\n}\n')
    # -backend=false: the prod root's s3 backend is not needed to plan against mocks.
    engine.run(["init", "-backend=false", "-input=false", "-no-color"], cwd=work)
    proc = engine.run(["test", "-no-color"], cwd=work, check=False)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output
    assert " 0 failed" in output and "Success!" in output, output
