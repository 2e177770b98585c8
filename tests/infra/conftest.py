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
UNFINISHED = {
    # 2026-12-02: the moto e2e passes under Terraform 1.11.4 (all six steps) but under OpenTofu
    # the prod apply fails at "creating VPC Security Group Rule" against moto; not yet diagnosed.
    f"{name}[tofu]"
    for name in (
        "test_stack_has_the_documented_properties",
        "test_replan_changes_nothing_but_known_moto_drift",
        "test_service_writes_and_reads_users_in_the_table",
        "test_real_plans_pass_every_plan_policy",
        "test_every_policy_fails_on_a_broken_copy_of_the_real_plan",
        "test_teardown_as_documented_leaves_nothing",
    )
}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.name in UNFINISHED and "test_e2e_moto" in item.nodeid:
            item.add_marker(pytest.mark.unfinished)
