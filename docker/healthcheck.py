"""Container health probe: exit 0 when GET http://127.0.0.1:$PORT/healthz answers 200.

A file rather than `python -c "..."`: podman's Docker-compatible API splits healthcheck
arguments on spaces, so a one-liner works on Docker and fails on podman. Stdlib only, 3.8+.
"""

import os
import sys
import urllib.request

URL = f"http://127.0.0.1:{os.environ.get('PORT', '5000')}/healthz"

try:
    with urllib.request.urlopen(URL, timeout=2) as response:
        sys.exit(0 if response.status == 200 else 1)
except OSError as exc:
    print(f"unhealthy: {exc}")
    sys.exit(1)
