"""The DLM snapshot policy (staticinfra/terraform): validated and plan-tested by both engines."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.infra.tfengine import ENGINES, find_engine

pytestmark = [pytest.mark.integration]

MODULE = Path(__file__).resolve().parents[2] / "staticinfra" / "terraform"


@pytest.mark.parametrize("engine_name", ENGINES)
def test_dlm_module_validates_and_its_plan_tests_pass(
    engine_name: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    engine = find_engine(tmp_path_factory.mktemp("plugin-cache"), engine_name)
    work = tmp_path_factory.mktemp("dlm") / "terraform"
    # A scratch copy: no .terraform/ or lock file lands in the checkout.
    shutil.copytree(MODULE, work, ignore=shutil.ignore_patterns(".terraform*"))

    engine.run(["fmt", "-check", "-recursive"], cwd=work)
    engine.run(["init", "-backend=false", "-input=false"], cwd=work)
    engine.run(["validate"], cwd=work)
    result = engine.run(["test", "-no-color"], cwd=work)

    assert "4 passed, 0 failed" in result.stdout, result.stdout
