"""The one domain exception: the check could not be made (the CLI exits 2 on it)."""

from __future__ import annotations


class CouldNotCheck(Exception):
    """Route 53 could not be asked: zone not found, no credentials, access denied, throttled."""
