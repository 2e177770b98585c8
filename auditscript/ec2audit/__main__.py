"""``python -m ec2audit`` (from inside auditscript/) works like audit.py."""

from __future__ import annotations

import sys

from .cli import main

sys.exit(main())
