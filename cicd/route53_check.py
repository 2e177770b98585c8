#!/usr/bin/env python3
"""Route 53 weighted-record check, run by cicd/Jenkinsfile every 30 minutes.

Usage: python cicd/route53_check.py [--zone barstoolsportsbook.com] [--record-name NAME] [--json]
Exit status: 0 check passed, 1 check failed, 2 could not check. See cicd/README.md.
"""

from __future__ import annotations

import sys
from pathlib import Path

# Run as a plain script from any working directory: the package sits beside this file.
sys.path.insert(0, str(Path(__file__).resolve().parent))

from route53check.cli import main

if __name__ == "__main__":
    sys.exit(main())
