"""Running the plan policies (infra/policies, checkov custom checks) on plan JSON files."""

from __future__ import annotations

import json
import os
import subprocess
from collections import defaultdict
from pathlib import Path
from typing import Any, Dict, List

from tests.infra.tfengine import INFRA, REPO_ROOT
from tests.support.tools import missing

CHECKS_DIR = INFRA / "policies" / "checks"
RULES = tuple(f"CKV_SRE_{n}" for n in range(1, 7))
CHECKOV_VENV = REPO_ROOT / ".cache" / "checkov-venv" / "bin" / "checkov"

# {plan file name: {check id: {"passed": [addresses], "failed": [(address, details)]}}}
Results = Dict[str, Dict[str, Dict[str, List[Any]]]]


def checkov_binary() -> str:
    if CHECKOV_VENV.exists():
        return str(CHECKOV_VENV)
    missing("checkov is not installed (run `make venv`: it builds .cache/checkov-venv)")
    raise AssertionError("unreachable")


def run_policies(target: Path) -> Results:
    """Run every CKV_SRE_* check on a plan file, or on every plan file of a folder."""
    args = [
        checkov_binary(),
        "--framework",
        "terraform_plan",
        "--external-checks-dir",
        str(CHECKS_DIR),
        "--check",
        ",".join(RULES),
        "--output",
        "json",
    ]
    args += ["-d", str(target)] if target.is_dir() else ["-f", str(target)]
    # BC_SKIP_MAPPING: no call to Prisma Cloud for guideline mappings (there is no network).
    env = {**os.environ, "BC_SKIP_MAPPING": "TRUE", "CHECKOV_RUN_SCA_PACKAGE_SCAN_V2": "false"}
    proc = subprocess.run(args, capture_output=True, text=True, env=env, check=False, timeout=600)
    if proc.returncode not in (0, 1) or not proc.stdout.strip():
        raise AssertionError(f"checkov failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    if "Cannot load external check" in proc.stderr or "Traceback" in proc.stderr:
        raise AssertionError(f"a CKV_SRE check did not load or crashed:\n{proc.stderr[-3000:]}")
    reports = json.loads(proc.stdout)
    if isinstance(reports, dict):
        reports = [reports]
    results: Results = defaultdict(lambda: defaultdict(lambda: {"passed": [], "failed": []}))
    for report in reports:
        if not isinstance(report, dict) or "results" not in report:
            continue  # {"passed": 0, ...} summary when nothing was scanned
        for outcome, key in (("passed_checks", "passed"), ("failed_checks", "failed")):
            for r in report["results"].get(outcome, []):
                name = Path(r["file_abs_path"]).name
                entry = r["resource"] if key == "passed" else (r["resource"], r.get("details"))
                results[name][r["check_id"]][key].append(entry)
    return results
