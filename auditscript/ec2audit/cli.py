"""Command line: parse options, run the audit, print one summary line or one error line.

argparse rather than click: the script ships to hosts and Jenkins agents that have boto3 and
nothing else.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import signal
import sys
import traceback
from typing import IO, Any, Dict, List, NoReturn, Optional, Sequence, Tuple

from . import aws
from .accounts import (
    DEFAULT_ROLE_NAME,
    DEFAULT_SESSION_NAME,
    SessionFactory,
    check_role_options,
    list_org_accounts,
    parse_account_ids,
)
from .errors import (
    EXIT_CODES,
    EXIT_INTERNAL,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_PARTIAL,
    EXIT_TERMINATED,
    AuditError,
    UsageError,
)
from .regions import check_names, home_region, partition_of
from .report import (
    FORMATS,
    ScopeStatus,
    check_output_path,
    default_output_path,
    rows_in_order,
    scopes_path,
    write_report,
)
from .scan import Progress, all_failed_error, audit, one_line
from .upload import parse_s3_uri, upload_report

PROG = "audit.py"
DEFAULT_WORKERS = 16
MAX_WORKERS = 64

DESCRIPTION = """\
Audit the EC2 instances of one or more regions, of one account or of many (an AWS
Organization, or a list of accounts entered by assuming a role), into a report file (CSV by
default): one row per instance in state pending, running, stopping or stopped (terminated
and shutting-down are left out), sorted by AccountId, Region, then InstanceID.

Columns: InstanceID, StartTime, Size, TotalDiskGiB, then AccountId, Region, State, Name,
AvailabilityZone, EbsGiB, InstanceStoreGB, VolumeCount, FirstLaunchTime.

  StartTime      the instance's LaunchTime: when it was LAST started, in ISO 8601 UTC
                 with a Z (2024-05-01T09:30:00Z). A stop/start moves it; it is not the
                 first launch. FirstLaunchTime (the attach time of the primary network
                 interface, which stays attached across stop/start) is the first launch.
  Size           the instance type (m5.large).
  TotalDiskGiB   every attached EBS volume in GiB (root and data, attached at launch or
                 later; a Multi-Attach volume counts for each instance) plus the
                 instance-store capacity of the type, converted from AWS's decimal GB to
                 GiB, rounded half up to a whole GiB.

Every (account, region) is a scope, scanned in a bounded thread pool (--max-workers). A
scope that fails (a role that cannot be assumed, a region an SCP denies, throttling beyond
retries) does not stop the others: it is named on stderr, listed with its reason in the
status file beside the report (<report>.scopes.<ext>: AccountId, Region, Status,
Instances, Seconds, ExitCode, Error), and the run exits 9 with the report of everything
else. When no scope succeeds no report is written.

AWS access works as in the AWS CLI: --profile or AWS_PROFILE, the credentials chain (SSO
included), AWS_ENDPOINT_URL, AWS_MAX_ATTEMPTS/AWS_RETRY_MODE (default here: standard mode,
6 attempts). Needs ec2:DescribeInstances, ec2:DescribeVolumes, ec2:DescribeInstanceTypes,
ec2:DescribeRegions in each account audited, plus organizations:ListAccounts (--org),
sts:AssumeRole on the audit role (--org/--accounts) and s3:PutObject (--s3-uri); the README
has the policies."""

EXAMPLE = """\
examples:
  python auditscript/audit.py --region us-east-1
  python auditscript/audit.py --region us-east-1 --region eu-west-1 --output fleet.csv
  python auditscript/audit.py --all-regions --format json --s3-uri s3://reports/ec2/
  python auditscript/audit.py --org --all-regions --role-name ec2-audit --progress
  python auditscript/audit.py --accounts 111111111111 222222222222 --region eu-west-1 \\
      --role-name ec2-audit --external-id audit-2024"""


def _exit_codes_text() -> str:
    lines = ["exit status:"]
    lines += [f"  {code}  {meaning}" for code, meaning in sorted(EXIT_CODES.items())]
    lines.append(f"  {EXIT_INTERRUPTED}  interrupted (Ctrl-C); no report written")
    lines.append(f"  {EXIT_TERMINATED}  terminated (SIGTERM); no report written")
    return "\n".join(lines)


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line with exit status 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog=PROG,
        description=DESCRIPTION,
        epilog=EXAMPLE + "\n\n" + _exit_codes_text(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument(
        "--region",
        action="append",
        metavar="REGION",
        default=[],
        help="region to audit; repeat for several (e.g. us-east-1)",
    )
    where.add_argument(
        "--all-regions",
        action="store_true",
        help="audit every region enabled for each account audited (DescribeRegions, in the "
        "partition of the home region)",
    )
    who = parser.add_argument_group(
        "accounts (default: the account of the credentials, with those credentials)"
    )
    which = who.add_mutually_exclusive_group()
    which.add_argument(
        "--org",
        action="store_true",
        help="audit every ACTIVE account of the AWS Organization (organizations:ListAccounts; "
        "run from the management account or a delegated administrator)",
    )
    which.add_argument(
        "--accounts",
        nargs="+",
        metavar="ID",
        help="audit these 12-digit account IDs (space- or comma-separated)",
    )
    who.add_argument(
        "--role-name",
        metavar="NAME",
        help=f"role assumed in each account (default: {DEFAULT_ROLE_NAME}); the caller's own "
        "account is audited with the caller's credentials",
    )
    who.add_argument(
        "--external-id", metavar="ID", help="ExternalId for AssumeRole, if the role wants one"
    )
    who.add_argument(
        "--session-name",
        metavar="NAME",
        help=f"RoleSessionName, shown in CloudTrail (default: {DEFAULT_SESSION_NAME})",
    )
    parser.add_argument(
        "--output",
        metavar="PATH",
        help="report file (default: ec2-audit-<scope>-<UTC timestamp>.<csv|json|md> in the "
        "current folder); replaced atomically, with its status file <name>.scopes.<ext>",
    )
    parser.add_argument(
        "--format", choices=FORMATS, default="csv", help="report format (default: csv)"
    )
    parser.add_argument(
        "--profile",
        help="AWS profile to use (default: AWS_PROFILE or the default credentials chain)",
    )
    parser.add_argument(
        "--s3-uri",
        metavar="S3_URI",
        help="also upload the report and its status file to s3://BUCKET/KEY, or to "
        "s3://BUCKET/PREFIX/<file name> when the URI ends with /",
    )
    parser.add_argument(
        "--max-workers",
        type=int,
        default=DEFAULT_WORKERS,
        metavar="N",
        help=f"(account, region) scopes scanned at once, 1-{MAX_WORKERS} "
        f"(default: {DEFAULT_WORKERS})",
    )
    parser.add_argument(
        "--progress",
        action="store_true",
        help="progress lines on stderr even when it is not a terminal (for CI logs)",
    )
    parser.add_argument(
        "--quiet",
        action="store_true",
        help="no progress lines (by default they are shown when stderr is a terminal)",
    )
    parser.add_argument(
        "--debug", action="store_true", help="show a traceback for unexpected errors"
    )
    return parser


def _scope_label(args: argparse.Namespace) -> str:
    regions = "all" if args.all_regions else "_".join(sorted(set(args.region)))
    if args.org:
        return f"org-{regions}"
    if args.accounts:
        return f"accounts-{regions}"
    return regions


def _check_options(args: argparse.Namespace) -> None:
    if not 1 <= args.max_workers <= MAX_WORKERS:
        raise UsageError(f"--max-workers must be between 1 and {MAX_WORKERS}")
    multi = bool(args.org or args.accounts)
    for option in ("role_name", "external_id", "session_name"):
        if getattr(args, option) is not None and not multi:
            flag = "--" + option.replace("_", "-")
            raise UsageError(f"{flag} needs --org or --accounts (it names the role to assume)")
    args.role_name = args.role_name or DEFAULT_ROLE_NAME
    args.session_name = args.session_name or DEFAULT_SESSION_NAME
    if multi:
        check_role_options(args.role_name, args.session_name, args.external_id)
    if args.accounts:
        args.accounts = parse_account_ids(args.accounts)


def run(args: argparse.Namespace, stderr: IO[str]) -> int:
    progress = Progress(stderr, enabled=not args.quiet and (args.progress or stderr.isatty()))
    _check_options(args)
    check_names(args.region)  # before any network call: a typo is exit 5 at once
    now = dt.datetime.now(dt.timezone.utc)
    output = args.output or default_output_path(_scope_label(args), args.format, now)
    check_output_path(output)
    if args.s3_uri:
        parse_s3_uri(args.s3_uri, output)  # a typo fails now, not after the scan

    session = aws.make_session(args.profile)
    home = home_region(args.region, session.region_name)
    caller = aws.check_credentials(session, home)["Account"]
    factory = SessionFactory(
        session,
        caller,
        home,
        partition_of(home) or "aws",
        profile=args.profile,
        role_name=args.role_name,
        session_name=args.session_name,
        external_id=args.external_id,
    )
    accounts: List[str] = [caller]
    if args.org:
        try:
            members, skipped = list_org_accounts(factory.client(caller, "organizations", home))
        except Exception as exc:
            raise aws.translate(exc, "organizations", home) from exc
        accounts = [a.account_id for a in members]
        if not accounts:  # the management account itself is always a member
            raise UsageError(
                "--org: ListAccounts found no active account in the organization of account "
                f"{caller}: check that these credentials belong to its management account or "
                "a delegated administrator"
            )
        progress.say(
            f"organization: {len(accounts)} active account(s)"
            + (f", {skipped} suspended or closing left out" if skipped else "")
        )
    elif args.accounts:
        accounts = list(args.accounts)

    multi = bool(args.org or args.accounts)
    outcome = audit(
        factory,
        accounts,
        sorted(set(args.region), key=args.region.index),
        args.all_regions,
        home,
        args.max_workers,
        progress,
        strict=not multi,
        label_accounts=multi,
    )
    fatal = all_failed_error(outcome)
    if fatal is not None:
        if len(outcome.failures) > 1:
            _warn_failures(stderr, outcome.failures, multi)
        raise fatal

    write_report(output, args.format, rows_in_order(outcome.rows), outcome.scopes)
    _warn_failures(stderr, outcome.failures, multi)

    instances = sum(s.instances for s in outcome.scopes)
    gib = sum(row.total_disk_gib for rows in outcome.rows.values() for row in rows)
    ok = sum(1 for s in outcome.scopes if s.ok)
    where = f"{ok} scope(s) of {len(accounts)} account(s)" if multi else f"{ok} region(s)"
    summary = (
        f"wrote {output}: {instances} instances in {where}, {gib} GiB total, "
        f"{progress.elapsed():.1f}s"
    )
    if outcome.failures:
        summary += (
            f"; {len(outcome.failures)} of {len(outcome.scopes)} scope(s) FAILED "
            f"(listed in {scopes_path(output)})"
        )
    if args.s3_uri:
        bucket, key = parse_s3_uri(args.s3_uri, output)
        s3 = aws.make_client(session, "s3", home)
        upload_report(s3, output, bucket, key, args.format)
        upload_report(s3, scopes_path(output), bucket, scopes_path(key), args.format)
        summary += f"; uploaded to s3://{bucket}/{key}"
    stderr.write(summary + "\n")
    return EXIT_PARTIAL if outcome.failures else EXIT_OK


def _warn_failures(stderr: IO[str], failures: Sequence[ScopeStatus], multi: bool) -> None:
    """One line per failure; an account's regions that failed for one reason share a line."""
    grouped: Dict[Tuple[str, str, int], List[str]] = {}
    for scope in failures:
        grouped.setdefault((scope.account_id, scope.error, scope.exit_code), []).append(
            scope.region
        )
    for (account, error, code), regions in grouped.items():
        where = ",".join(regions)
        if multi:
            where = f"{account}/{where}"
        stderr.write(f"{PROG}: warning: scope {where} failed (exit class {code}): {error}\n")


class Terminated(BaseException):
    """Raised in the main thread by the SIGTERM handler (like KeyboardInterrupt for SIGINT)."""


def _on_sigterm(signum: int, frame: Any) -> NoReturn:
    raise Terminated()


def _abandon(stderr: IO[str], code: int, why: str) -> NoReturn:
    # The exception has already unwound through the atomic write (temp files removed, an
    # existing report untouched). Scans still running in worker threads would hold the
    # interpreter's exit for up to a read timeout, so leave without waiting for them.
    stderr.write(f"{PROG}: {why}; no report written\n")
    stderr.flush()
    sys.stdout.flush()
    os._exit(code)


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    stderr = sys.stderr
    signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        return run(args, stderr)
    except AuditError as exc:
        stderr.write(f"{PROG}: error: {one_line(exc)}\n")
        return exc.exit_code
    except KeyboardInterrupt:
        _abandon(stderr, EXIT_INTERRUPTED, "interrupted")
    except Terminated:
        _abandon(stderr, EXIT_TERMINATED, "terminated by SIGTERM")
    except Exception as exc:  # noqa: BLE001 - the promise is one line, never a traceback
        if args.debug:
            traceback.print_exc()
        translated = aws.translate(exc, "ec2", ",".join(args.region) or "all regions")
        stderr.write(f"{PROG}: error: {one_line(translated)}\n")
        return translated.exit_code if translated.exit_code else EXIT_INTERNAL


if __name__ == "__main__":
    sys.exit(main())
