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


# Tests that do not pass yet, left out of `make test` (marker `unfinished`; infra/README.md says
# which). Run them with `pytest -m unfinished tests/infra`.
UNFINISHED: set[str] = {
    # Empty: the OpenTofu half of the moto e2e failed once on 2026-12-02 (likely a moto race, see
    # tests/support/moto_serial.py) and passes since the e2e's moto answers one request at a time.
}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.name in UNFINISHED and "test_e2e_moto" in item.nodeid:
            item.add_marker(pytest.mark.unfinished)
