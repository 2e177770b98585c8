"""Command line: ``python route53_check.py [--zone Z] [--record-name N] [--json]``.

Exit status: 0 check passed, 1 check failed (records not as required), 2 could not check
(zone not found, no credentials, access denied, throttled, bad usage, no boto3, an unexpected
error). Never a traceback.
"""

from __future__ import annotations

import argparse
import sys
from typing import List, NoReturn, Optional, TextIO

from route53check.client import make_client
from route53check.errors import CouldNotCheck
from route53check.heartbeat import NAMESPACE, publish_pass
from route53check.names import qualify
from route53check.records import list_weighted_records
from route53check.report import (
    RESULT_COULD_NOT_CHECK,
    RESULT_RECORDS_WRONG,
    failure_json,
    success_json,
    table,
)
from route53check.rules import evaluate
from route53check.zones import find_zone

EXIT_PASSED = 0
EXIT_FAILED = 1
EXIT_COULD_NOT_CHECK = 2
DEFAULT_ZONE = "barstoolsportsbook.com"


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        # Bad usage is "could not check" (2), which is also argparse's own code; say it here.
        self.print_usage(sys.stderr)
        self.exit(EXIT_COULD_NOT_CHECK, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="route53_check.py",
        description=(
            "Check that a Route 53 hosted zone has exactly two weighted records: one at "
            "weight 100 (active) and one at weight 0 (inactive)."
        ),
        epilog=(
            "Example: python cicd/route53_check.py --zone barstoolsportsbook.com --json\n"
            "Exit status: 0 passed, 1 check failed, 2 could not check."
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--zone", default=DEFAULT_ZONE, help=f"hosted zone name (default: {DEFAULT_ZONE})"
    )
    parser.add_argument(
        "--record-name",
        help="only weighted records with this name (relative to the zone or fully qualified)",
    )
    parser.add_argument(
        "--private-zone",
        action="store_true",
        help="check the private zone of that name instead of the public one",
    )
    parser.add_argument(
        "--zone-id",
        help="check the zone with this id (must be named --zone); wins over --private-zone",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    parser.add_argument(
        "--heartbeat",
        action="store_true",
        help=(
            f"when the check passes, put CloudWatch metric {NAMESPACE}/CheckPassed=1 "
            "(dimension Zone); monitoring alarms when it stops arriving"
        ),
    )
    parser.add_argument(
        "--heartbeat-namespace",
        default=NAMESPACE,
        help=f"CloudWatch namespace for --heartbeat (default: {NAMESPACE})",
    )
    return parser


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    client = make_client()
    zone = find_zone(client, args.zone, private=args.private_zone, zone_id=args.zone_id)
    record_name = qualify(args.record_name, zone.name) if args.record_name else None
    records = list_weighted_records(client, zone.zone_id, record_name)
    verdict = evaluate(records)
    if verdict.passed and args.heartbeat:
        # Before any output: a pass we could not announce is "could not check" (exit 2), so the
        # JSON on stdout never says pass while the dead-man alarm is about to fire.
        publish_pass(zone.name, args.heartbeat_namespace)

    if args.json:
        if verdict.passed:
            out.write(success_json(zone, verdict) + "\n")
        else:
            out.write(failure_json(verdict.message, records, RESULT_RECORDS_WRONG) + "\n")
    else:
        out.write(table(zone, records, verdict) + "\n")
    if not verdict.passed:
        err.write(f"route53_check: check failed: {verdict.message}\n")
        return EXIT_FAILED
    return EXIT_PASSED


def main(
    argv: Optional[List[str]] = None, out: Optional[TextIO] = None, err: Optional[TextIO] = None
) -> int:
    # Resolved at call time, so a redirected sys.stdout (tests, wrappers) is honoured.
    out = out if out is not None else sys.stdout
    err = err if err is not None else sys.stderr
    args = build_parser().parse_args(argv)
    try:
        return run(args, out, err)
    except CouldNotCheck as exc:
        if args.json:
            out.write(failure_json(f"could not check: {exc}", [], RESULT_COULD_NOT_CHECK) + "\n")
        err.write(f"route53_check: could not check: {exc}\n")
        return EXIT_COULD_NOT_CHECK
    except KeyboardInterrupt:
        err.write("route53_check: interrupted\n")
        return EXIT_COULD_NOT_CHECK
    except Exception as exc:  # noqa: BLE001 - the contract is "no tracebacks": exit 2 says why
        if args.json:
            message = f"could not check: unexpected error: {exc!r}"
            out.write(failure_json(message, [], RESULT_COULD_NOT_CHECK) + "\n")
        err.write(f"route53_check: could not check: unexpected error: {exc!r}\n")
        return EXIT_COULD_NOT_CHECK
