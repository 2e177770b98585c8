"""Fixtures of the infra tests: one parameter per Terraform engine."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.infra.tfengine import ENGINES, Engine, find_engine


@pytest.fixture(scope="session")
def plugin_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One provider cache for the session: init links the provider instead of copying 700 MB."""
    return tmp_path_factory.mktemp("plugin-cache")


@pytest.fixture(params=ENGINES, scope="module")
def engine(request: pytest.FixtureRequest, plugin_cache: Path) -> Engine:
    """HashiCorp Terraform (pinned, from the machine image) and OpenTofu (built by tools.sh)."""
    return find_engine(plugin_cache / str(request.param), str(request.param))
