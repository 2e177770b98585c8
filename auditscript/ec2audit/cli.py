"""Command line: parse options, run the audit, print one summary line or one error line.

argparse rather than click: the script ships to hosts and Jenkins agents that have boto3 and
nothing else.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
import traceback
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from typing import IO, Any, Dict, List, NoReturn, Optional, Sequence

from . import aws
from .collect import Row, scan_region
from .errors import EXIT_CODES, EXIT_INTERNAL, EXIT_OK, AuditError, UsageError
from .regions import resolve_regions
from .report import (
    FORMATS,
    check_output_path,
    default_output_path,
    rows_in_order,
    write_atomic,
)
from .upload import parse_s3_uri, upload_report

PROG = "audit.py"
DEFAULT_WORKERS = 8

DESCRIPTION = """\
Audit the EC2 instances of one or more regions into a report file (CSV by default):
one row per instance in state pending, running, stopping or stopped (terminated and
shutting-down are left out), sorted by region then InstanceID.

Columns: InstanceID, StartTime, Size, TotalDiskGiB, then Region, State, Name,
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

AWS access works as in the AWS CLI: --profile or AWS_PROFILE, the credentials chain,
AWS_ENDPOINT_URL, AWS_MAX_ATTEMPTS/AWS_RETRY_MODE. Needs ec2:DescribeInstances,
ec2:DescribeVolumes, ec2:DescribeInstanceTypes, ec2:DescribeRegions (and s3:PutObject
for --s3-uri)."""

EXAMPLE = """\
examples:
  python auditscript/audit.py --region us-east-1
  python auditscript/audit.py --region us-east-1 --region eu-west-1 --output fleet.csv
  python auditscript/audit.py --all-regions --format json --s3-uri s3://reports/ec2/"""


def _exit_codes_text() -> str:
    lines = ["exit status:"]
    lines += [f"  {code}  {meaning}" for code, meaning in sorted(EXIT_CODES.items())]
    lines.append("  130  interrupted (Ctrl-C)")
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
        help="audit every region enabled for the account, concurrently",
    )
    parser.add_argument(
        "--output",
        metavar="PATH",
        help="report file (default: ec2-audit-<region|all>-<UTC timestamp>"
        ".<csv|json|md> in the current folder); replaced atomically",
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
        help="also upload the report to s3://BUCKET/KEY, or to "
        "s3://BUCKET/PREFIX/<file name> when the URI ends with /",
    )
    parser.add_argument(
        "--max-workers",
        type=int,
        default=DEFAULT_WORKERS,
        metavar="N",
        help=f"regions scanned at once (default: {DEFAULT_WORKERS})",
    )
    parser.add_argument(
        "--quiet",
        action="store_true",
        help="no progress lines (they are only shown when stderr is a TTY)",
    )
    parser.add_argument(
        "--debug", action="store_true", help="show a traceback for unexpected errors"
    )
    return parser


class Progress:
    """Per-region progress on stderr, only for a person watching a terminal."""

    def __init__(self, stream: IO[str], enabled: bool) -> None:
        self.stream = stream
        self.enabled = enabled

    def say(self, message: str) -> None:
        if self.enabled:
            self.stream.write(message + "\n")
            self.stream.flush()


class Clients:
    """One EC2 client per region, made in the main thread.

    boto3 sessions are not thread-safe (clients are), and DescribeRegions' client is reused for
    the scan of the same region.
    """

    def __init__(self, session: Any) -> None:
        self.session = session
        self._clients: Dict[str, Any] = {}

    def ec2(self, region: str) -> Any:
        if region not in self._clients:
            self._clients[region] = aws.make_client(self.session, "ec2", region)
        return self._clients[region]


def scan_regions(
    cache: Clients, regions: Sequence[str], workers: int, progress: Progress
) -> Dict[str, List[Row]]:
    """Scan regions concurrently; the first failure stops the audit."""
    clients = {region: cache.ec2(region) for region in regions}
    results: Dict[str, List[Row]] = {}
    started = time.monotonic()
    pool = ThreadPoolExecutor(max_workers=max(1, min(workers, len(regions))))
    try:
        futures = {pool.submit(scan_region, clients[r], r): r for r in regions}
        pending = set(futures)
        while pending:
            done, pending = wait(pending, return_when=FIRST_EXCEPTION)
            for future in done:
                region = futures[future]
                error = future.exception()
                if error is not None:
                    for other in pending:
                        other.cancel()
                    raise aws.translate(error, "ec2", region) from error
                results[region] = future.result()
                progress.say(
                    f"[{len(results)}/{len(regions)}] {region}: "
                    f"{len(results[region])} instances "
                    f"({time.monotonic() - started:.1f}s)"
                )
    finally:
        pool.shutdown(wait=True)
    return results


def run(args: argparse.Namespace, stderr: IO[str]) -> int:
    started = time.monotonic()
    progress = Progress(stderr, enabled=not args.quiet and stderr.isatty())
    if args.max_workers < 1:
        raise UsageError("--max-workers must be at least 1")
    now = dt.datetime.now(dt.timezone.utc)
    output = args.output or default_output_path(
        sorted(set(args.region)), args.all_regions, args.format, now
    )
    check_output_path(output)
    if args.s3_uri:
        parse_s3_uri(args.s3_uri, output)  # a typo fails now, not after the scan

    session = aws.make_session(args.profile)
    aws.check_credentials(session)

    clients = Clients(session)

    def describe_regions(home: str) -> List[Dict[str, Any]]:
        try:
            answer = clients.ec2(home).describe_regions(AllRegions=True)
            return list(answer.get("Regions", []))
        except Exception as exc:
            raise aws.translate(exc, "ec2", home) from exc

    regions = resolve_regions(session, args.region, args.all_regions, describe_regions)
    progress.say(f"scanning {len(regions)} region(s): {', '.join(regions)}")
    per_region = scan_regions(clients, regions, args.max_workers, progress)

    write_atomic(output, args.format, rows_in_order(per_region))

    instances = sum(len(rows) for rows in per_region.values())
    gib = sum(row.total_disk_gib for rows in per_region.values() for row in rows)
    summary = (
        f"wrote {output}: {instances} instances in {len(regions)} region(s), "
        f"{gib} GiB total, {time.monotonic() - started:.1f}s"
    )
    if args.s3_uri:
        bucket, key = parse_s3_uri(args.s3_uri, output)
        s3 = aws.make_client(session, "s3", session.region_name or regions[0])
        upload_report(s3, output, bucket, key, args.format)
        summary += f"; uploaded to s3://{bucket}/{key}"
    stderr.write(summary + "\n")
    return EXIT_OK


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    stderr = sys.stderr
    try:
        return run(args, stderr)
    except AuditError as exc:
        stderr.write(f"{PROG}: error: {_one_line(exc)}\n")
        return exc.exit_code
    except KeyboardInterrupt:
        stderr.write(f"{PROG}: interrupted; no report written\n")
        return 130
    except Exception as exc:  # noqa: BLE001 - the promise is one line, never a traceback
        if args.debug:
            traceback.print_exc()
        translated = aws.translate(exc, "ec2", ",".join(args.region) or "all regions")
        stderr.write(f"{PROG}: error: {_one_line(translated)}\n")
        return translated.exit_code if translated.exit_code else EXIT_INTERNAL


if __name__ == "__main__":
    sys.exit(main())
