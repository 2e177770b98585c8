#!/usr/bin/env python3
"""Route 53 weighted-record check, run by cicd/Jenkinsfile every 30 minutes.

Usage: python cicd/route53_check.py [--zone barstoolsportsbook.com] [--record-name NAME] [--json]
Exit status: 0 check passed, 1 check failed, 2 could not check. See cicd/README.md.

This file is deliberately written in the oldest Python syntax (no f-strings, no annotations) so
that ANY interpreter the agent happens to run it with (2.7, 3.6, a 3.8 venv without boto3) gets
as far as the guard below and exits 2, "could not check", with one line, instead of dying with a
SyntaxError or ImportError traceback and Python's own exit status 1, which would read as
"records not as required".
"""

import json
import os
import sys

EXIT_COULD_NOT_CHECK = 2
MINIMUM_PYTHON = (3, 8)


def _could_not_check(message):
    # type: (str) -> int
    if "--json" in sys.argv[1:]:
        doc = {"result": "could_not_check", "error": "could not check: " + message, "records": []}
        sys.stdout.write(json.dumps(doc) + "\n")
    sys.stderr.write("route53_check: could not check: " + message + "\n")
    return EXIT_COULD_NOT_CHECK


def _main():
    # type: () -> int
    if sys.version_info < MINIMUM_PYTHON:
        return _could_not_check(
            "Python %d.%d.%d is too old; the checker needs 3.8 or newer (%s)"  # noqa: UP031 - no f-strings: must parse on 2.7
            % (sys.version_info[0], sys.version_info[1], sys.version_info[2], sys.executable)
        )
    # Run as a plain script from any working directory: the package sits beside this file.
    # os.path, not pathlib: this module must import on Python 2.7 to report it.
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # noqa: PTH100, PTH120
    try:
        from route53check.cli import main
    except Exception as exc:  # noqa: BLE001 - ImportError or anything else: still "could not check"
        return _could_not_check(
            "cannot import %s with %s; run cicd/scripts/prepare-venv.sh (%s)"  # noqa: UP031 - must parse on 2.7
            % (getattr(exc, "name", None) or "the checker", sys.executable, exc)
        )
    return int(main())


if __name__ == "__main__":
    sys.exit(_main())
