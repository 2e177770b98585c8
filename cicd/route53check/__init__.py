"""Route 53 weighted-record check: exactly one record at weight 100 and one at weight 0.

The library API; ``cli.main`` is the command line. Nothing here imports argparse, and nothing
prints: the CLI decides what the user sees.
"""

from __future__ import annotations

from route53check.errors import CouldNotCheck
from route53check.records import WeightedRecord, list_weighted_records
from route53check.rules import Verdict, evaluate
from route53check.zones import HostedZone, find_zone

__all__ = [
    "CouldNotCheck",
    "HostedZone",
    "Verdict",
    "WeightedRecord",
    "evaluate",
    "find_zone",
    "list_weighted_records",
]
