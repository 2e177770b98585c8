"""Running both Terraform engines (HashiCorp Terraform and OpenTofu) on a scratch copy of infra/.

The user runs `terraform`; CI used to run only OpenTofu. Every engine test is parametrized over
ENGINES, so a construct only one engine accepts fails a test. Every test works on a copy under
tmp_path so no .terraform/ or state ever lands in the checkout. OpenTofu, tflint and the
provider mirror come from infra/scripts/tools.sh, which also pins the machine image's Terraform.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Mapping, Optional

from tests.support.tools import missing

REPO_ROOT = Path(__file__).resolve().parents[2]
INFRA = REPO_ROOT / "infra"
TOOLS_SH = INFRA / "scripts" / "tools.sh"


def tools_env() -> Dict[str, str]:
    """The variables `tools.sh --env` exports, with PATH expanded against ours."""
    out = subprocess.run(
        ["bash", str(TOOLS_SH), "--env"], check=True, capture_output=True, text=True
    ).stdout
    env: Dict[str, str] = {}
    for line in out.splitlines():
        if not line.startswith("export ") or "=" not in line:
            continue
        key, value = line[len("export ") :].split("=", 1)
        value = value.strip().strip('"').replace("$PATH", os.environ.get("PATH", ""))
        env[key] = value
    return env


@dataclass
class Engine:
    """One engine binary plus the environment that makes it use the local provider mirror."""

    binary: str
    env: Dict[str, str]

    @property
    def name(self) -> str:
        return Path(self.binary).name

    def run(
        self,
        args: List[str],
        cwd: Path,
        extra_env: Optional[Mapping[str, str]] = None,
        check: bool = True,
        timeout: float = 900,
    ) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, **self.env, **(extra_env or {})}
        proc = subprocess.run(
            [self.binary, *args],
            cwd=cwd,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if check and proc.returncode != 0:
            raise AssertionError(
                f"{self.name} {' '.join(args)} failed ({proc.returncode}) in {cwd}:\n"
                f"{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}"
            )
        return proc


# Both engines, by the name of their binary; tests take one through the `engine` fixture.
ENGINES = ("terraform", "tofu")


def _version(binary: str) -> str:
    out = subprocess.run(
        [binary, "version", "-json"], capture_output=True, text=True, check=False
    ).stdout
    return str(json.loads(out or "{}").get("terraform_version", "?"))


def find_engine(plugin_cache: Path, name: str = "tofu") -> Engine:
    """The pinned engine `name` (terraform | tofu); skip (or fail in CI) when it is missing."""
    env = tools_env()
    config = env.get("TF_CLI_CONFIG_FILE", "")
    if not config or not Path(config).is_file():
        missing("the AWS provider mirror is missing (run `make tools`)")
    if name == "terraform":
        binary = env.get("SRE_TERRAFORM_BIN") or shutil.which("terraform")
        if not binary or not Path(binary).is_file():
            missing("HashiCorp Terraform is not installed (the machine image ships it)")
        assert binary is not None
        pinned = env.get("SRE_TERRAFORM_VERSION", "")
        found = _version(binary)
        assert found == pinned, f"{binary} is Terraform {found}; tools.sh pins {pinned}"
    else:
        found_tofu = shutil.which("tofu", path=env.get("PATH"))
        if found_tofu is None:
            missing("tofu is not installed (run `make tools`)")
        assert found_tofu is not None
        binary = found_tofu
    plugin_cache.mkdir(parents=True, exist_ok=True)
    env["TF_PLUGIN_CACHE_DIR"] = str(plugin_cache)
    env["TF_IN_AUTOMATION"] = "1"
    env["CHECKPOINT_DISABLE"] = "1"
    return Engine(binary=binary, env=env)


def copy_infra(dest: Path) -> Path:
    """Copy infra/ (without local state or provider folders) to dest/infra; return it.

    Committed .terraform.lock.hcl files are kept: both engines must accept them (the mirror has
    the same provider for registry.terraform.io and registry.opentofu.org).
    """
    target = dest / "infra"
    shutil.copytree(
        INFRA,
        target,
        ignore=shutil.ignore_patterns(
            ".terraform", "*.tfstate", "*.tfstate.*", "policies", "__pycache__"
        ),
    )
    return target
