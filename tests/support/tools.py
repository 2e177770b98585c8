"""Finding the real tools a test needs, with one rule for laptops and one for CI.

On a laptop a missing tool (podman, tofu, promtool, mvn) skips the test with the reason. CI sets
``SRE_STRICT=1``: there a missing tool is a failure, so a green CI run really ran everything.
"""

from __future__ import annotations

import os
import shutil
from typing import Optional

import pytest


def strict() -> bool:
    return os.environ.get("SRE_STRICT", "") not in ("", "0", "false")


def missing(reason: str) -> None:
    """Skip (laptop) or fail (strict CI) because something the test needs is absent."""
    if strict():
        pytest.fail(f"SRE_STRICT=1 and {reason}", pytrace=False)
    pytest.skip(reason)


def require_tool(name: str, hint: str = "", path: Optional[str] = None) -> str:
    """Return the absolute path of executable ``name`` or skip/fail with how to get it."""
    found = shutil.which(name, path=path)
    if found is None:
        missing(f"{name} is not installed" + (f" ({hint})" if hint else ""))
    assert found is not None
    return found
