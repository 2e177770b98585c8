"""DNS names as people type them and as Route 53 returns them, made comparable."""

from __future__ import annotations

import re

# Route 53 returns some characters as three-digit octal escapes (``*`` comes back as ``\052``).
_OCTAL_ESCAPE = re.compile(r"\\([0-7]{3})")


def normalize_name(name: str) -> str:
    """``WWW.Example.com.`` and ``www.example.com`` both become ``www.example.com``."""
    decoded = _OCTAL_ESCAPE.sub(lambda m: chr(int(m.group(1), 8)), name.strip())
    return decoded.rstrip(".").lower()


def fqdn(name: str) -> str:
    """The name with exactly one trailing dot, as the Route 53 API wants it."""
    return normalize_name(name) + "."


def qualify(record_name: str, zone_name: str) -> str:
    """``www`` inside ``example.com`` is ``www.example.com``; a full name is left alone."""
    record = normalize_name(record_name)
    zone = normalize_name(zone_name)
    if record == zone or record.endswith("." + zone) or record_name.strip().endswith("."):
        return record
    return f"{record}.{zone}"
