"""The Python 3.8 pass of `make test` runs on 3.8 and covers every component that ships to 3.8."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.py38

REPO_ROOT = Path(__file__).resolve().parent.parent
# Test folders of the code that ships to Python 3.8 hosts (see the README's testing section).
SHIPPED_TO_38 = {
    "the /user service": "tests/app",
    "the audit script": "tests/auditscript",
    "the Route53 checker": "tests/cicd",
    "the host identity script": "tests/staticinfra",
}


def test_the_py38_pass_runs_on_cpython_38() -> None:
    if os.environ.get("SRE_PY38_ONLY"):
        assert sys.version_info[:2] == (3, 8), sys.version
        assert sys.implementation.name == "cpython"
    else:
        assert sys.version_info[:2] >= (3, 11), "the main pass runs on the project's Python"


@pytest.mark.parametrize("component", sorted(SHIPPED_TO_38))
def test_every_component_that_ships_to_38_has_py38_tests(component: str) -> None:
    folder = REPO_ROOT / SHIPPED_TO_38[component]
    marked = [f.name for f in folder.rglob("test_*.py") if "pytest.mark.py38" in f.read_text()]
    assert marked, f"{component}: no test module in {folder} is marked py38"
