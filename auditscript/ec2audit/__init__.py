"""EC2 audit: one report row per instance with its start time, type and total disk size."""

from __future__ import annotations

from . import aws, regions
from .collect import Row, scan_region, total_disk_gib
from .errors import EXIT_CODES, AuditError
from .report import COLUMNS, write_atomic

__all__ = [
    "COLUMNS",
    "EXIT_CODES",
    "AuditError",
    "Row",
    "aws",
    "regions",
    "scan_region",
    "total_disk_gib",
    "write_atomic",
]
