#!/usr/bin/env python3
"""EC2 audit report: ``python auditscript/audit.py --region us-east-1`` (see --help).

A thin entry point: Python puts this file's folder first on sys.path, so the ``ec2audit``
package beside it is found from any working directory.
"""

from __future__ import annotations

import sys

from ec2audit.cli import main

if __name__ == "__main__":
    sys.exit(main())
