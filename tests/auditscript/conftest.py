"""Fixtures for the EC2 audit tests: the real CLI as a subprocess, against moto over HTTP."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Callable, Dict, List, Optional

import pytest

AUDITSCRIPT = Path(__file__).resolve().parents[2] / "auditscript"
AUDIT_PY = AUDITSCRIPT / "audit.py"

# Unit tests import the package the way audit.py does: from its own folder.
if str(AUDITSCRIPT) not in sys.path:
    sys.path.insert(0, str(AUDITSCRIPT))

RunAudit = Callable[..., subprocess.CompletedProcess]


@pytest.fixture
def run_audit(subprocess_env: Dict[str, str], tmp_path: Path) -> RunAudit:
    """Run ``python auditscript/audit.py ARGS`` from tmp_path (not the repo) and capture it."""

    def run(
        *args: str, env: Optional[Dict[str, str]] = None, cwd: Optional[Path] = None
    ) -> subprocess.CompletedProcess:
        cmd: List[str] = [sys.executable, str(AUDIT_PY), *args]
        return subprocess.run(
            cmd,
            env=env if env is not None else subprocess_env,
            cwd=str(cwd or tmp_path),
            capture_output=True,
            text=True,
            timeout=120,
        )

    return run
