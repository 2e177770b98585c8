"""Running the Terraform engine (OpenTofu, else Terraform) on a scratch copy of infra/.

Every test works on a copy under tmp_path so no .terraform/, lock file or state ever lands in
the checkout. The engine, tflint and the provider mirror come from infra/scripts/tools.sh.
"""

from __future__ import annotations

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


def find_engine(plugin_cache: Path) -> Engine:
    """OpenTofu from tools.sh, else a terraform on PATH; skip (or fail in CI) when neither."""
    env = tools_env()
    config = env.get("TF_CLI_CONFIG_FILE", "")
    if not config or not Path(config).is_file():
        missing("the AWS provider mirror is missing (run `make tools`)")
    binary = shutil.which("tofu", path=env.get("PATH")) or shutil.which("terraform")
    if binary is None:
        missing("tofu is not installed (run `make tools`)")
    assert binary is not None
    plugin_cache.mkdir(parents=True, exist_ok=True)
    env["TF_PLUGIN_CACHE_DIR"] = str(plugin_cache)
    env["TF_IN_AUTOMATION"] = "1"
    env["CHECKPOINT_DISABLE"] = "1"
    return Engine(binary=binary, env=env)


def copy_infra(dest: Path) -> Path:
    """Copy infra/ (without local state or provider folders) to dest/infra; return it."""
    target = dest / "infra"
    shutil.copytree(
        INFRA,
        target,
        ignore=shutil.ignore_patterns(
            ".terraform", "*.tfstate", "*.tfstate.*", ".terraform.lock.hcl"
        ),
    )
    return target
