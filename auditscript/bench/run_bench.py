"""Benchmark: audit.py against the naive and shell baselines, then at organisation scale.

Starts its own moto servers, seeds them once (nothing cached on disk), then runs every
approach as a real process and reports wall time and API requests. Every approach runs
``--repeats`` times (at least 3), interleaved (a, b, c, a, b, c, ...) so that they all see the
same machine load, and the **median** of each counts: the same statistic for every approach.

Part 1, one region (``--instances`` in us-east-1, moto direct): audit.py, the naive boto3
script (one DescribeVolumes per instance) and the AWS CLI + jq. Requests are counted from
moto's request log. Goal: audit.py makes >= 10x fewer calls and takes >= 3x less time than
the naive script.

Part 2, an organisation: a management account and 3 members (AssumeRole), 4 regions each,
``--org-instances`` per (account, region) scope. The audit runs concurrently (``--org
--max-workers 16``), sequentially (``--max-workers 1``, the scopes one after another) and once
per scope (``--accounts A --region R``). EC2 answers are replayed with moto's recorded service
time (replay_proxy.py explains why). Goals: the concurrent run within 1.5x of the slowest
single scope, and >= 3x faster than the sequential run.

Exit status 1 if a goal is missed. Usage (from the repo root):
python auditscript/bench/run_bench.py [--instances 1000] [--org-instances 250] [--repeats 3]
"""

from __future__ import annotations

import argparse
import csv
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(HERE))

import boto3  # noqa: E402
from replay_proxy import ReplayProxy  # noqa: E402
from seed_fleet import seed  # noqa: E402

from tests.support.localaws import DUMMY_CREDENTIALS, MotoServer  # noqa: E402

AUDIT = HERE.parent / "audit.py"
MAIN_REGION = "us-east-1"
ORG_REGIONS = ("us-east-1", "eu-west-1", "ap-southeast-2", "us-west-2")
MEMBERS = 3
ROLE = "ec2-audit"
CALL_GOAL = 10.0
TIME_GOAL = 3.0
SLOWEST_SCOPE_GOAL = 1.5
SEQUENTIAL_GOAL = 3.0


class Result:
    """Every run of one approach: wall times, child CPU times, requests of the last run."""

    def __init__(self, name: str, output: Path) -> None:
        self.name = name
        self.output = output
        self.times: List[float] = []
        self.cpu: List[float] = []
        self.calls = 0

    @property
    def median(self) -> float:
        return statistics.median(self.times)

    @property
    def median_cpu(self) -> float:
        return statistics.median(self.cpu)

    def spread(self) -> str:
        runs = ", ".join(f"{t:.2f}" for t in self.times)
        return f"median {self.median:.2f}s of [{runs}]"


class Runner:
    def __init__(self, count_calls: Callable[[], int], env: Dict[str, str]) -> None:
        self.count_calls = count_calls
        self.env = env

    def once(
        self, result: Result, cmd: Sequence[str], env: Optional[Dict[str, str]] = None
    ) -> None:
        before = self.count_calls()
        cpu_before = _children_cpu()
        started = time.perf_counter()
        done = subprocess.run(
            list(cmd), env=env or self.env, capture_output=True, text=True, check=False
        )
        result.times.append(time.perf_counter() - started)
        result.cpu.append(_children_cpu() - cpu_before)
        if done.returncode != 0:
            raise SystemExit(
                f"{result.name} failed ({done.returncode}): {done.stderr.strip()[-800:]}"
            )
        time.sleep(0.3)  # let the servers flush their request logs
        result.calls = self.count_calls() - before


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def rows(path: Path) -> Dict[str, Dict[str, str]]:
    with open(path, newline="") as handle:
        return {r["InstanceID"]: r for r in csv.DictReader(handle)}


def table(lines: List[List[str]]) -> str:
    widths = [max(len(line[i]) for line in lines) for i in range(len(lines[0]))]
    out = []
    for n, line in enumerate(lines):
        cells = (c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(line, widths)))
        out.append("  ".join(cells))
        if n == 0:
            out.append("  ".join("-" * w for w in widths))
    return "\n".join(out)


def client(service: str, endpoint: str, region: str, **credentials: Any) -> Any:
    if not credentials:
        credentials = {k.lower(): v for k, v in DUMMY_CREDENTIALS.items()}
    untyped: Any = boto3  # boto3-stubs types client() per literal service name
    return untyped.client(service, region_name=region, endpoint_url=endpoint, **credentials)


def audit_cmd(out: Path, *args: str) -> List[str]:
    return [sys.executable, str(AUDIT), *args, "--quiet", "--output", str(out)]


def log_counter(logs: List[Path]) -> Callable[[], int]:
    def count() -> int:
        total = 0
        for log in logs:
            with open(log, "rb") as handle:
                total += sum(1 for line in handle if b'"POST / ' in line or b'"GET / ' in line)
        return total

    return count


def one_region(args: argparse.Namespace, work: Path, stack: ExitStack) -> Tuple[bool, str]:
    log = work / "moto-one-region.log"
    server = stack.enter_context(MotoServer(log_path=log))
    started = time.perf_counter()
    seed(client("ec2", server.endpoint, MAIN_REGION), args.instances)
    print(
        f"seeded {args.instances} instances in {MAIN_REGION} in "
        f"{time.perf_counter() - started:.1f}s",
        flush=True,
    )
    direct = dict(os.environ, **server.env(MAIN_REGION))
    runner = Runner(log_counter([log]), direct)
    audit = Result("audit.py", work / "audit.csv")
    naive = Result("naive boto3 (a)", work / "naive.csv")
    shell = Result("aws cli + jq (b)", work / "shell.csv")
    for n in range(args.repeats):
        runner.once(audit, audit_cmd(audit.output, "--region", MAIN_REGION))
        runner.once(
            naive,
            [sys.executable, str(HERE / "naive_audit.py"), MAIN_REGION, str(naive.output)],
        )
        runner.once(
            shell,
            ["bash", str(HERE / "shell_audit.sh"), MAIN_REGION, str(shell.output)],
            env=dict(direct, AWS_CLI=args.aws_cli),
        )
        print(
            f"  round {n + 1}/{args.repeats}: audit.py {audit.times[-1]:.2f}s, naive "
            f"{naive.times[-1]:.2f}s, aws cli + jq {shell.times[-1]:.2f}s",
            flush=True,
        )

    # The three agree on the fleet and on EBS sizes.
    by_id, naive_ids, shell_rows = rows(audit.output), rows(naive.output), rows(shell.output)
    assert len(by_id) == args.instances, len(by_id)
    assert set(by_id) == set(naive_ids) == set(shell_rows)
    assert all(int(by_id[i]["EbsGiB"]) == int(shell_rows[i]["TotalDiskGiB"]) for i in by_id)

    lines = [["approach", "API calls", "median s", "runs (s)", "calls / audit", "time / audit"]]
    for r in (audit, naive, shell):
        lines.append(
            [
                r.name,
                str(r.calls),
                f"{r.median:.2f}",
                " ".join(f"{t:.1f}" for t in r.times),
                f"{r.calls / audit.calls:.1f}x",
                f"{r.median / audit.median:.1f}x",
            ]
        )
    call_ratio = naive.calls / audit.calls
    time_ratio = naive.median / audit.median
    ok = call_ratio >= CALL_GOAL and time_ratio >= TIME_GOAL
    text = (
        f"One region, {args.instances} instances (median of {args.repeats} interleaved runs):\n"
        + table(lines)
        + f"\ngoal: >= {CALL_GOAL:.0f}x fewer calls and >= {TIME_GOAL:.0f}x less time than "
        f"naive: {call_ratio:.1f}x calls, {time_ratio:.1f}x time -> {'MET' if ok else 'MISSED'}"
    )
    return ok, text


def seed_org(endpoint: str, per_scope: int) -> Tuple[str, List[str]]:
    """An Organization with MEMBERS accounts; ``per_scope`` instances per account and region."""
    org = client("organizations", endpoint, "us-east-1")
    management = org.create_organization(FeatureSet="ALL")["Organization"]["MasterAccountId"]
    members = [
        org.create_account(AccountName=f"member-{n}", Email=f"member-{n}@example.com")[
            "CreateAccountStatus"
        ]["AccountId"]
        for n in range(MEMBERS)
    ]
    sts = client("sts", endpoint, "us-east-1")
    for account in (management, *members):
        credentials: Dict[str, str] = {}
        if account != management:
            answer = sts.assume_role(
                RoleArn=f"arn:aws:iam::{account}:role/{ROLE}", RoleSessionName="bench-seed"
            )["Credentials"]
            credentials = {
                "aws_access_key_id": answer["AccessKeyId"],
                "aws_secret_access_key": answer["SecretAccessKey"],
                "aws_session_token": answer["SessionToken"],
            }
        for region in ORG_REGIONS:
            seed(client("ec2", endpoint, region, **credentials), per_scope)
    return management, members


def organisation(args: argparse.Namespace, work: Path, stack: ExitStack) -> Tuple[bool, str]:
    server = stack.enter_context(MotoServer(log_path=work / "moto-org.log"))
    started = time.perf_counter()
    management, members = seed_org(server.endpoint, args.org_instances)
    accounts = [management, *members]
    scopes = [(a, r) for a in accounts for r in ORG_REGIONS]
    total = len(scopes) * args.org_instances
    print(
        f"seeded {len(accounts)} accounts x {len(ORG_REGIONS)} regions x {args.org_instances} "
        f"= {total} instances in {time.perf_counter() - started:.1f}s",
        flush=True,
    )
    proxy = stack.enter_context(ReplayProxy(server.endpoint))
    env = dict(os.environ, **server.env("us-east-1"))
    env["AWS_ENDPOINT_URL"] = proxy.endpoint
    runner = Runner(proxy.total_calls, env)
    regions = [a for r in ORG_REGIONS for a in ("--region", r)]
    org = ["--org", *regions, "--role-name", ROLE]

    warm = Result("warm-up", work / "record.csv")
    runner.once(warm, audit_cmd(warm.output, *org, "--max-workers", "1"))
    proxy.mode = "record"
    record = Result("recording (sequential, straight to moto)", work / "record.csv")
    runner.once(record, audit_cmd(record.output, *org, "--max-workers", "1"))
    assert len(rows(record.output)) == total, len(rows(record.output))
    proxy.mode = "replay"
    print(
        f"  warm-up {warm.times[0]:.1f}s, recording {record.times[0]:.1f}s (straight to moto, "
        "sequential); replaying from now on",
        flush=True,
    )

    concurrent = Result("concurrent (--max-workers 16)", work / "concurrent.csv")
    sequential = Result("sequential (--max-workers 1)", work / "sequential.csv")
    # Single runs: every region of one member account (entered with AssumeRole, the longer
    # path) and the management account's first region (its own credentials). All scopes hold
    # the same fleet; measuring all 16 three times would double the benchmark's length.
    measured = [(members[0], r) for r in ORG_REGIONS] + [(management, ORG_REGIONS[0])]
    singles = {
        s: Result(f"--accounts {s[0]} --region {s[1]}", work / "single.csv") for s in measured
    }
    for n in range(args.repeats):
        runner.once(concurrent, audit_cmd(concurrent.output, *org, "--max-workers", "16"))
        runner.once(sequential, audit_cmd(sequential.output, *org, "--max-workers", "1"))
        for (account, region), result in singles.items():
            runner.once(
                result,
                audit_cmd(
                    result.output, "--accounts", account, "--region", region, "--role-name", ROLE
                ),
            )
        print(
            f"  round {n + 1}/{args.repeats}: concurrent {concurrent.times[-1]:.2f}s, "
            f"sequential {sequential.times[-1]:.2f}s, single scopes "
            f"{min(r.times[-1] for r in singles.values()):.2f}-"
            f"{max(r.times[-1] for r in singles.values()):.2f}s",
            flush=True,
        )
    assert proxy.misses == 0, f"{proxy.misses} requests were not recorded"
    assert rows(concurrent.output) == rows(sequential.output) == rows(record.output)

    slowest = max(singles.values(), key=lambda r: r.median)
    vs_slowest = concurrent.median / slowest.median
    speedup = sequential.median / concurrent.median
    ok = vs_slowest <= SLOWEST_SCOPE_GOAL and speedup >= SEQUENTIAL_GOAL
    lines = [["run", "API calls", "median s", "runs (s)", "audit CPU s"]]
    for r in (concurrent, sequential):
        lines.append(
            [r.name, str(r.calls), f"{r.median:.2f}", " ".join(f"{t:.1f}" for t in r.times),
             f"{r.median_cpu:.2f}"]
        )  # fmt: skip
    lines.append(
        [f"slowest single scope: {slowest.name}", str(slowest.calls), f"{slowest.median:.2f}",
         " ".join(f"{t:.1f}" for t in slowest.times), f"{slowest.median_cpu:.2f}"]
    )  # fmt: skip
    single_medians = sorted(r.median for r in singles.values())
    text = (
        f"Organisation: {len(accounts)} accounts x {len(ORG_REGIONS)} regions x "
        f"{args.org_instances} instances = {len(scopes)} scopes, {total} instances (median of "
        f"{args.repeats} interleaved runs; EC2 answers replayed with moto's service time):\n"
        + table(lines)
        + f"\nsingle-scope medians ({len(singles)} scopes measured): "
        f"{single_medians[0]:.2f}-{single_medians[-1]:.2f}s"
        + f"\ngoal: concurrent <= {SLOWEST_SCOPE_GOAL}x the slowest single scope: "
        f"{vs_slowest:.2f}x; >= {SEQUENTIAL_GOAL:.0f}x faster than sequential: {speedup:.2f}x "
        f"-> {'MET' if ok else 'MISSED'}"
    )
    return ok, text


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument(
        "--instances", type=int, default=1000, help="instances in the one-region part (1000)"
    )
    parser.add_argument(
        "--org-instances",
        type=int,
        default=250,
        help="instances per (account, region) in the organisation part (250; 0 skips it)",
    )
    parser.add_argument(
        "--repeats", type=int, default=3, help="interleaved runs of every approach (>= 3)"
    )
    parser.add_argument("--aws-cli", default="/usr/bin/aws", help="AWS CLI for baseline (b)")
    args = parser.parse_args(argv)
    if args.repeats < 1:
        parser.error("--repeats must be at least 1 (3 or more for the published numbers)")

    ok = True
    with tempfile.TemporaryDirectory(prefix="ec2audit-bench-") as tmp, ExitStack() as stack:
        work = Path(tmp)
        met, text = one_region(args, work, stack)
        ok = ok and met
        print("\n" + text + "\n", flush=True)
        if args.org_instances > 0:
            met, text = organisation(args, work, stack)
            ok = ok and met
            print("\n" + text, flush=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
