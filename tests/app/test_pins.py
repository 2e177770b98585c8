"""The dev lock runs exactly the service's shipped (Python 3.8) pins."""

from __future__ import annotations

import re


def test_pyproject_pins_match_the_service_requirements(repo_root) -> None:
    shipped = dict(
        re.findall(
            r"^([a-z0-9-]+)==([^\s\\]+)",
            (repo_root / "docker/app/requirements.txt").read_text(),
            re.M,
        )
    )
    pinned = dict(
        re.findall(r'"([a-z0-9-]+)==([^"]+)"', (repo_root / "pyproject.toml").read_text())
    )
    for name in ("flask", "werkzeug", "waitress", "boto3"):
        assert pinned[name] == shipped[name], name
