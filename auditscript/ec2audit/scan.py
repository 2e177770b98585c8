"""Audit many (account, region) scopes with one bounded thread pool; a failure stays in its scope.

Each account is entered first (AssumeRole, then DescribeRegions in the home region to learn
which regions it has enabled); as soon as an account is in, its region scopes join the same
pool, so scans start while other accounts are still being entered. A scope that fails is
recorded with its reason and exit class and the others carry on. Only ``strict`` (the
single-account mode, where the regions were named by the user for their own account) turns a
failure to enter the account, or a region it does not have, into an error for the whole run.
"""

from __future__ import annotations

import time
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import IO, Any, Dict, List, NamedTuple, Optional, Sequence, Set, Tuple

from . import aws
from .accounts import SessionFactory
from .collect import Row, scan_region
from .errors import AuditError, RegionError
from .regions import choose_regions, enabled_regions
from .report import ScopeStatus

WHOLE_ACCOUNT = "*"
# The main thread wakes up this often even when nothing finished, so signals are handled fast.
POLL_SECONDS = 0.5


class Progress:
    """Progress lines on stderr: scopes done/total and instances so far."""

    def __init__(self, stream: IO[str], enabled: bool) -> None:
        self.stream = stream
        self.enabled = enabled
        self.started = time.monotonic()

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def say(self, message: str) -> None:
        if self.enabled:
            self.stream.write(f"[{time.monotonic() - self.started:6.1f}s] {message}\n")
            self.stream.flush()


class Outcome(NamedTuple):
    rows: Dict[Tuple[str, str], List[Row]]
    scopes: List[ScopeStatus]

    @property
    def failures(self) -> List[ScopeStatus]:
        return [s for s in self.scopes if not s.ok]


class _Enter(NamedTuple):
    account_id: str


class _Scan(NamedTuple):
    account_id: str
    region: str


def _enter(
    factory: SessionFactory,
    account_id: str,
    requested: Sequence[str],
    all_regions: bool,
    home: str,
) -> Tuple[List[str], Dict[str, str]]:
    ec2 = factory.client(account_id, "ec2", home)
    try:
        listed = ec2.describe_regions(AllRegions=True).get("Regions", [])
    except Exception as exc:
        raise aws.translate(exc, "ec2", home, account_id) from exc
    return choose_regions(enabled_regions(listed), requested, all_regions, home)


def _scan(factory: SessionFactory, account_id: str, region: str) -> List[Row]:
    ec2 = factory.client(account_id, "ec2", region)
    return scan_region(ec2, region, account_id)


def audit(
    factory: SessionFactory,
    accounts: Sequence[str],
    requested: Sequence[str],
    all_regions: bool,
    home: str,
    workers: int,
    progress: Progress,
    strict: bool = False,
    label_accounts: bool = True,
) -> Outcome:
    """Scan every enabled region (or the requested ones) of every account."""
    rows: Dict[Tuple[str, str], List[Row]] = {}
    scopes: List[ScopeStatus] = []
    started: Dict[Future, float] = {}
    jobs: Dict[Future, Any] = {}
    entered = 0
    total_scopes = 0
    instances = 0

    def where(account_id: str, region: str) -> str:
        return f"{account_id}/{region}" if label_accounts else region

    def fail(account_id: str, region: str, error: AuditError, seconds: float) -> None:
        scopes.append(
            ScopeStatus(account_id, region, False, 0, seconds, error.exit_code, one_line(error))
        )

    pool = ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="audit")
    try:
        for account_id in accounts:
            entering = pool.submit(_enter, factory, account_id, requested, all_regions, home)
            jobs[entering], started[entering] = _Enter(account_id), time.monotonic()
        progress.say(f"entering {len(accounts)} account(s) with up to {workers} workers")
        pending: Set[Future] = set(jobs)
        while pending:
            done, pending = wait(pending, timeout=POLL_SECONDS, return_when=FIRST_COMPLETED)
            for future in done:
                job = jobs.pop(future)
                seconds = time.monotonic() - started.pop(future)
                error = future.exception()
                if isinstance(job, _Enter):
                    entered += 1
                    if error is not None:
                        translated = aws.translate(error, "ec2", home, job.account_id)
                        if strict:
                            raise translated from error
                        regions = list(requested) or [WHOLE_ACCOUNT]
                        for region in regions:
                            fail(job.account_id, region, translated, seconds)
                        total_scopes += len(regions)
                        progress.say(
                            f"account {job.account_id} could not be entered: "
                            f"{one_line(translated)[:160]}"
                        )
                        continue
                    chosen, refused = future.result()
                    for region, why in refused.items():
                        if strict:
                            raise RegionError(why)
                        fail(job.account_id, region, RegionError(why), 0.0)
                    total_scopes += len(chosen) + len(refused)
                    for region in chosen:
                        scan = pool.submit(_scan, factory, job.account_id, region)
                        jobs[scan], started[scan] = _Scan(job.account_id, region), time.monotonic()
                        pending.add(scan)
                    continue
                if error is not None:
                    translated = aws.translate(error, "ec2", job.region, job.account_id)
                    fail(job.account_id, job.region, translated, seconds)
                    result = "failed"
                else:
                    found = future.result()
                    rows[(job.account_id, job.region)] = found
                    instances += len(found)
                    scopes.append(
                        ScopeStatus(job.account_id, job.region, True, len(found), seconds, 0, "")
                    )
                    result = f"{len(found)} instances in {seconds:.1f}s"
                more = "+" if entered < len(accounts) else ""
                progress.say(
                    f"scopes {len(scopes)}/{total_scopes}{more} done, "
                    f"accounts entered {entered}/{len(accounts)}, {instances} instances so far "
                    f"({where(job.account_id, job.region)}: {result})"
                )
    except BaseException:
        # A fatal error or a signal: queued scans never start; running ones are abandoned.
        for future in jobs:
            future.cancel()
        pool.shutdown(wait=False)
        raise
    pool.shutdown(wait=True)
    scopes.sort(key=lambda s: (s.account_id, s.region))
    return Outcome(rows, scopes)


def one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())


def all_failed_error(outcome: Outcome) -> Optional[AuditError]:
    """The error for a run where nothing could be audited (no report is written then)."""
    failures = outcome.failures
    if not failures or any(s.ok for s in outcome.scopes):
        return None
    first = failures[0]
    codes = {s.exit_code for s in failures}
    error = AuditError(
        first.error
        if len(failures) == 1
        else f"all {len(failures)} scopes failed, no report written; first: "
        f"{first.account_id}/{first.region}: {first.error}"
    )
    # One cause for all (say, expired credentials): its own exit code; mixed causes: the first.
    error.exit_code = codes.pop() if len(codes) == 1 else first.exit_code
    return error
