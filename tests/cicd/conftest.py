"""Fixtures for the cicd section: the checker package importable, a seeded moto zone."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

CICD = Path(__file__).resolve().parents[2] / "cicd"
# The checker ships as a plain script plus its package beside it (no install on the agent);
# tests import the package the same way the script does.
if str(CICD) not in sys.path:
    sys.path.insert(0, str(CICD))

from tests.cicd import route53_seed  # noqa: E402


@pytest.fixture
def r53(aws_env: Any) -> Any:
    """A boto3 Route 53 client on a freshly reset moto server (over HTTP)."""
    return route53_seed.route53()


@pytest.fixture
def zone_id(r53: Any) -> str:
    """The public zone barstoolsportsbook.com, empty but for its NS and SOA records."""
    return route53_seed.create_zone(r53)
