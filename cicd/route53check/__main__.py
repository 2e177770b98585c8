"""``python -m route53check`` (from inside cicd/) is the same as route53_check.py."""

from __future__ import annotations

import sys

from route53check.cli import main

sys.exit(main())
