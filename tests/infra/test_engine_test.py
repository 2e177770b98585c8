"""Runs the native `*.tftest.hcl` files (plan-time assertions with a mocked provider) under both
engines: `terraform test` (HashiCorp, the user's command) and `tofu test` (what CI used to run).

A construct only one engine accepts fails here: e.g. `for_each` over ACM
domain_validation_options passes `tofu test` but fails `terraform test` under mock_provider
("Invalid for_each argument"), because the mock leaves the set's keys unknown in Terraform.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.infra.tfengine import INFRA, Engine, copy_infra

# Every root or module folder that has a tests/ folder with .tftest.hcl files.
TESTED_DIRS = sorted(
    {str(p.parent.parent.relative_to(INFRA)) for p in INFRA.glob("**/tests/*.tftest.hcl")}
)


def test_the_modules_with_resources_and_the_roots_have_tests() -> None:
    expected = {"environments/prod"} | {
        f"modules/{m}" for m in ("data", "edge", "network", "service")
    }
    assert set(TESTED_DIRS) >= expected


def _configuration_aliases(versions: Path) -> str:
    match = re.search(r"configuration_aliases\s*=\s*\[([^\]]*)\]", versions.read_text())
    return match.group(1) if match else ""


@pytest.mark.slow
@pytest.mark.parametrize("folder", TESTED_DIRS)
def test_tftest_files_pass(folder: str, engine: Engine, tmp_path: Path) -> None:
    work = copy_infra(tmp_path) / folder
    aliases = re.findall(r"aws\.([\w-]+)", _configuration_aliases(work / "versions.tf"))
    if aliases:
        # Run alone, the module needs the aliased provider blocks its caller would pass.
        blocks = [f'provider "aws" {{\n  alias = "{a}"\n}}\n' for a in sorted(set(aliases))]
        (work / "zz_test_provider_aliases.tf").write_text("\n".join(blocks))
    # -backend=false: a root's s3 backend is not needed to plan against mocks.
    engine.run(["init", "-backend=false", "-input=false", "-no-color"], cwd=work)
    proc = engine.run(["test", "-no-color"], cwd=work, check=False)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, f"{engine.name} test in {folder}:\n{output}"
    assert " 0 failed" in output and "Success!" in output, output
