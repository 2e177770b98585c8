"""Benchmark: audit.py against a naive boto3 script and the AWS CLI + jq, on one moto fleet.

Starts its own moto servers, seeds the fleet once (nothing cached on disk), then runs every
approach as a real process against the same data and reports wall time and API requests.
Requests are counted from the moto servers' request logs, so every approach is counted the
same way (what reached the wire, retries included). Times are the fastest of the runs: on a
shared machine other load only ever adds time. audit.py runs before, between and after the
baselines so that all of them see the same load.

Goals (exit status 1 if missed): audit.py makes >= 10x fewer calls and takes >= 3x less wall
time than the naive script. The four seeded regions (each on its own moto process behind
region_router.py, as real regions are separate endpoints) are audited one by one and in one
run; the one-run time is reported against the sum and the slowest of the single runs.

Usage (from the repo root): python auditscript/bench/run_bench.py [--instances 1000]
"""

from __future__ import annotations

import argparse
import csv
import os
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any, Dict, List, NamedTuple, Optional, Sequence

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(HERE))

import boto3  # noqa: E402
from region_router import RegionRouter  # noqa: E402
from seed_fleet import seed  # noqa: E402

from tests.support.localaws import DUMMY_CREDENTIALS, MotoServer  # noqa: E402

AUDIT = HERE.parent / "audit.py"
MAIN_REGION = "us-east-1"
OTHER_REGIONS = ("eu-west-1", "ap-southeast-2", "us-west-2")
CALL_GOAL = 10.0
TIME_GOAL = 3.0


class Result(NamedTuple):
    name: str
    times: List[float]
    calls: int  # requests of one run
    output: Path

    @property
    def seconds(self) -> float:
        return min(self.times)

    def spread(self) -> str:
        return f"{min(self.times):.2f}-{max(self.times):.2f}s over {len(self.times)} run(s)"


class Bench:
    def __init__(self, logs: List[Path], env: Dict[str, str]) -> None:
        self.logs = logs
        self.env = env

    def _requests(self) -> int:
        total = 0
        for log in self.logs:
            with open(log, "rb") as handle:
                total += sum(1 for line in handle if b'"POST / ' in line or b'"GET / ' in line)
        return total

    def run(
        self,
        name: str,
        cmd: Sequence[str],
        output: Path,
        repeats: int = 1,
        env: Optional[Dict[str, str]] = None,
        earlier: Optional[Result] = None,
    ) -> Result:
        """Run ``cmd`` ``repeats`` times, keeping the times of ``earlier`` runs of it."""
        times = list(earlier.times) if earlier else []
        calls = 0
        for _ in range(repeats):
            before = self._requests()
            started = time.perf_counter()
            done = subprocess.run(
                list(cmd), env=env or self.env, capture_output=True, text=True, check=False
            )
            times.append(time.perf_counter() - started)
            if done.returncode != 0:
                raise SystemExit(f"{name} failed ({done.returncode}): {done.stderr.strip()[-500:]}")
            time.sleep(0.3)  # let the servers flush their request logs
            calls = self._requests() - before
        result = Result(name, times, calls, output)
        print(f"  {name}: {result.spread()}, {calls} calls", flush=True)
        return result


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


def ec2_client(endpoint: str, region: str) -> Any:
    credentials: Dict[str, Any] = {k.lower(): v for k, v in DUMMY_CREDENTIALS.items()}
    return boto3.client("ec2", region_name=region, endpoint_url=endpoint, **credentials)


def audit_cmd(out: Path, *args: str) -> List[str]:
    return [sys.executable, str(AUDIT), *args, "--quiet", "--output", str(out)]


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument(
        "--instances",
        type=int,
        default=1000,
        help="instances in us-east-1 (default 1000); the 3 other regions get a quarter each",
    )
    parser.add_argument(
        "--repeats",
        type=int,
        default=2,
        help="runs of each multi-region measurement (default 2; the fastest counts)",
    )
    parser.add_argument("--aws-cli", default="/usr/bin/aws", help="AWS CLI for baseline (b)")
    args = parser.parse_args(argv)
    per_other = max(1, args.instances // 4)
    reps = max(1, args.repeats)
    regions = (MAIN_REGION, *OTHER_REGIONS)

    with tempfile.TemporaryDirectory(prefix="ec2audit-bench-") as tmp, ExitStack() as stack:
        work = Path(tmp)
        # One moto process per seeded region (see region_router.py) plus one for the rest.
        names = (*regions, "default")
        servers = {
            n: stack.enter_context(MotoServer(log_path=work / f"moto-{n}.log")) for n in names
        }
        started = time.perf_counter()
        seed(ec2_client(servers[MAIN_REGION].endpoint, MAIN_REGION), args.instances)
        for region in OTHER_REGIONS:
            seed(ec2_client(servers[region].endpoint, region), per_other)
        print(
            f"seeded {args.instances} instances in {MAIN_REGION} and {per_other} in each of "
            f"{', '.join(OTHER_REGIONS)} in {time.perf_counter() - started:.1f}s",
            flush=True,
        )

        direct = dict(os.environ, **servers[MAIN_REGION].env(MAIN_REGION))
        bench = Bench([work / f"moto-{n}.log" for n in names], direct)
        print(f"one region ({MAIN_REGION}, {args.instances} instances):", flush=True)
        ours = audit_cmd(work / "audit.csv", "--region", MAIN_REGION)
        audit = bench.run("audit.py", ours, work / "audit.csv")
        naive = bench.run(
            "naive boto3 (a)",
            [sys.executable, str(HERE / "naive_audit.py"), MAIN_REGION, str(work / "naive.csv")],
            work / "naive.csv",
        )
        audit = bench.run("audit.py", ours, work / "audit.csv", earlier=audit)
        shell = bench.run(
            "aws cli + jq (b)",
            ["bash", str(HERE / "shell_audit.sh"), MAIN_REGION, str(work / "shell.csv")],
            work / "shell.csv",
            env=dict(direct, AWS_CLI=args.aws_cli),
        )
        audit = bench.run("audit.py", ours, work / "audit.csv", earlier=audit)

        # The three agree on the fleet and on EBS sizes.
        by_id, naive_ids, shell_rows = rows(audit.output), rows(naive.output), rows(shell.output)
        assert len(by_id) == args.instances, len(by_id)
        assert set(by_id) == set(naive_ids) == set(shell_rows)
        assert all(int(by_id[i]["EbsGiB"]) == int(shell_rows[i]["TotalDiskGiB"]) for i in by_id)

        router = stack.enter_context(
            RegionRouter(servers["default"].endpoint, {r: servers[r].endpoint for r in regions})
        )
        routed = dict(direct, AWS_ENDPOINT_URL=router.endpoint)
        # moto builds a region's backend on its first request (about a second each, ~20
        # regions); AWS has no such cost, so one unmeasured run warms them all.
        warm = audit_cmd(work / "warm.csv", "--all-regions")
        subprocess.run(warm, env=routed, capture_output=True, check=True)
        print("four seeded regions, one endpoint per region:", flush=True)
        singles = []
        for region in regions:
            out = work / f"single-{region}.csv"
            cmd = audit_cmd(out, "--region", region)
            singles.append(bench.run(f"--region {region}", cmd, out, reps, env=routed))
        four = [a for r in regions for a in ("--region", r)]
        together = bench.run(
            "4 regions in one run",
            audit_cmd(work / "four.csv", *four),
            work / "four.csv",
            reps,
            env=routed,
        )
        every = bench.run(
            "--all-regions",
            audit_cmd(work / "all.csv", "--all-regions"),
            work / "all.csv",
            reps,
            env=routed,
        )
        assert len(rows(every.output)) == args.instances + 3 * per_other
        assert rows(every.output) == rows(together.output)

    lines = [["approach", "API calls", "wall s", "calls / audit", "time / audit"]]
    for r in (audit, naive, shell):
        lines.append(
            [
                r.name,
                str(r.calls),
                f"{r.seconds:.2f}",
                f"{r.calls / audit.calls:.1f}x",
                f"{r.seconds / audit.seconds:.1f}x",
            ]
        )
    print(f"\nOne region, {args.instances} instances (fastest run of each):\n" + table(lines))

    total = sum(s.seconds for s in singles)
    slowest = max(s.seconds for s in singles)
    lines = [["run", "API calls", "wall s"]]
    lines += [[s.name, str(s.calls), f"{s.seconds:.2f}"] for s in singles]
    lines.append(["sum of the 4 single runs", str(sum(s.calls for s in singles)), f"{total:.2f}"])
    lines.append([together.name, str(together.calls), f"{together.seconds:.2f}"])
    lines.append(["--all-regions (all enabled)", str(every.calls), f"{every.seconds:.2f}"])
    print("\nFour seeded regions, each on its own endpoint:\n" + table(lines))
    print(
        f"4 regions in one run / sum of single runs = {together.seconds / total:.2f}, "
        f"/ slowest single run = {together.seconds / slowest:.2f}; "
        f"--all-regions / sum = {every.seconds / total:.2f}"
    )

    call_ratio = naive.calls / audit.calls
    time_ratio = naive.seconds / audit.seconds
    ok = call_ratio >= CALL_GOAL and time_ratio >= TIME_GOAL
    print(
        f"\ngoal: >= {CALL_GOAL:.0f}x fewer calls and >= {TIME_GOAL:.0f}x less time than naive: "
        f"{call_ratio:.1f}x calls, {time_ratio:.1f}x time -> {'MET' if ok else 'MISSED'}"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
