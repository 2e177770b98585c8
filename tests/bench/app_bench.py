"""Benchmark of the /user service against its own store, on loopback against moto.

All numbers come from one run, so the ratios compare like with like on this machine:
  (a) the store's ceiling: direct boto3 GetItem from 32 threads;
  (b) GET /user?user_id=... and POST /user through the service (waitress), wrk at concurrency 32;
  (c) GET /healthz through the service vs Flask's built-in (Werkzeug) server with the same app;
  (d) GET /user?user_id=... through the TLS sidecar (nginx, docker/tls-sidecar) to the service,
      as the ALB reaches it in the ECS task: client -> TLS -> app -> store.
(a), (b) GET and (d) alternate for --rounds rounds and each reports its median, so drift on a
shared machine hits all three alike. Goals: (b)/(a) >= 0.8, (c) >= 2x, (d)/(b) >= 0.85 (TLS
costs at most 15 % of throughput). Then one GET request is profiled to show where time goes.

Usage: python -m tests.bench.app_bench [--seconds 10] [--connections 32] [--rounds 3]
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Dict, List, Optional, Tuple

import boto3

from tests.support.localaws import MotoServer, free_port

REPO = Path(__file__).resolve().parents[2]
APP_DIR = REPO / "docker" / "app"
sys.path.insert(0, str(APP_DIR))

from create_table import ensure_table  # noqa: E402
from userapi.store import CLIENT_CONFIG  # noqa: E402

SEEDED = 200
WERKZEUG_LAUNCHER = """
import sys
sys.path.insert(0, {app_dir!r})
from werkzeug.serving import run_simple
from userapi import UserStore, create_app
from userapi.logs import configure
run_simple("127.0.0.1", {port}, create_app(UserStore("users"), configure(None, "WARNING")),
           threaded=True)
"""
# Unique ids per wrk thread and per run, so every POST is a real create (no 409s).
WRK_LUA_POST = """
local threads = 0
function setup(thread)
  thread:set("tid", threads)
  threads = threads + 1
end
local counter = 0
request = function()
  counter = counter + 1
  local body = string.format('{"user_id":"bench-RUN-%d-%d","name":"Bench","email":"b@example.com"}',
                             tid, counter)
  return wrk.format("POST", "/user", {["Content-Type"] = "application/json"}, body)
end
"""
WRK_LUA_GET = """
math.randomseed(7)
request = function()
  return wrk.format("GET", string.format("/user?user_id=seed-%d", math.random(0, MAX_SEED)))
end
"""


class Result:
    def __init__(self, name: str, rps: float, p50_ms: float, p99_ms: float, errors: int) -> None:
        self.name, self.rps, self.p50_ms, self.p99_ms, self.errors = (
            name,
            rps,
            p50_ms,
            p99_ms,
            errors,
        )


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def direct_getitem(seconds: float, threads: int) -> Result:
    client = boto3.client("dynamodb", config=CLIENT_CONFIG)
    stop = time.monotonic() + seconds
    latencies: List[List[float]] = [[] for _ in range(threads)]
    errors = [0] * threads

    def worker(index: int) -> None:
        n = index
        while time.monotonic() < stop:
            started = time.perf_counter()
            try:
                client.get_item(
                    TableName="users",
                    Key={"user_id": {"S": f"seed-{n % SEEDED}"}},
                    ConsistentRead=True,
                )
            except Exception:  # noqa: BLE001 - count, don't die: this is a load loop
                errors[index] += 1
            latencies[index].append((time.perf_counter() - started) * 1000)
            n += threads

    started = time.monotonic()
    pool = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    elapsed = time.monotonic() - started
    flat = sorted(x for per_thread in latencies for x in per_thread)
    p99 = flat[int(len(flat) * 0.99) - 1]
    return Result(
        "(a) boto3 GetItem x32 threads",
        len(flat) / elapsed,
        statistics.median(flat),
        p99,
        sum(errors),
    )


def _ms(value: str, unit: str) -> float:
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def wrk(name: str, url: str, seconds: int, connections: int, lua: Optional[str] = None) -> Result:
    wrk_bin = shutil.which("wrk")
    if wrk_bin is None:
        raise SystemExit("wrk is not installed (apt-get install wrk, or make system-deps)")
    cmd = [wrk_bin, "-t", "2", "-c", str(connections), "-d", f"{seconds}s", "--latency"]
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(lua or "")
    if lua:
        cmd += ["-s", script.name]
    try:
        out = subprocess.run([*cmd, url], capture_output=True, text=True, check=True).stdout
    finally:
        Path(script.name).unlink()
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    lat = dict(re.findall(r"^\s+(50|99)%\s+([\d.]+\w+)", out, re.M))
    p50 = _ms(*re.match(r"([\d.]+)(\w+)", lat["50"]).groups())  # type: ignore[union-attr]
    p99 = _ms(*re.match(r"([\d.]+)(\w+)", lat["99"]).groups())  # type: ignore[union-attr]
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    socket_errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out
    )
    errors = int(non2xx.group(1)) if non2xx else 0
    errors += sum(int(x) for x in socket_errors.groups()) if socket_errors else 0
    return Result(name, rps, p50, p99, errors)


def start(cmd: List[str], env: Dict[str, str], port: int) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            import urllib.request

            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1):
                return process
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit(f"{cmd} did not start")


def start_sidecar(upstream: int, workdir: Path) -> Tuple[subprocess.Popen[bytes], int]:
    """docker/tls-sidecar's entrypoint with the host's nginx (Debian package), as in the task."""
    if shutil.which("nginx") is None or shutil.which("openssl") is None:
        raise SystemExit(
            "nginx and openssl are needed (apt-get install nginx, or make system-deps)"
        )
    port = free_port()
    env = {
        **os.environ,
        "LISTEN_HOST": "127.0.0.1",
        "LISTEN_PORT": str(port),
        "UPSTREAM": f"127.0.0.1:{upstream}",
        "TLS_DIR": str(workdir / "tls"),
        "RUN_DIR": str(workdir / "nginx"),
        "ERROR_LOG_LEVEL": "warn",
    }
    process = subprocess.Popen(
        ["sh", str(REPO / "docker" / "tls-sidecar" / "entrypoint.sh")],
        env=env,
        stdout=subprocess.DEVNULL,  # the access log: one line per request would cost the bench
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return process, port
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit("the TLS sidecar did not start")


def median_result(name: str, runs: List[Result]) -> Result:
    return Result(
        name,
        statistics.median(r.rps for r in runs),
        statistics.median(r.p50_ms for r in runs),
        statistics.median(r.p99_ms for r in runs),
        sum(r.errors for r in runs),
    )


def profile_one_get() -> str:
    from userapi import UserStore, create_app
    from userapi.logs import configure

    client = create_app(UserStore("users"), configure(None, "WARNING")).test_client()
    client.get("/user?user_id=seed-1")  # warm up connection pools and imports
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(50):
        client.get("/user?user_id=seed-1")
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(18)
    return out.getvalue()


def table(rows: List[Result]) -> str:
    lines = [f"{'run':44} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7}"]
    lines += [
        f"{r.name:44} {r.rps:9.0f} {r.p50_ms:8.2f} {r.p99_ms:8.2f} {r.errors:7d}" for r in rows
    ]
    return "\n".join(lines)


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=10, help="duration of each load run")
    parser.add_argument("--connections", type=int, default=32, help="concurrency")
    parser.add_argument(
        "--rounds", type=int, default=3, help="interleaved plain/TLS rounds; medians are reported"
    )
    args = parser.parse_args(argv)

    with MotoServer() as moto:
        os.environ.update(moto.env())
        env = dict(os.environ)
        ensure_table("users")
        client = boto3.client("dynamodb")
        for i in range(SEEDED):
            client.put_item(
                TableName="users",
                Item={
                    "user_id": {"S": f"seed-{i}"},
                    "name": {"S": "Seed"},
                    "email": {"S": "s@example.com"},
                },
            )
        log(f"moto on {moto.endpoint}, {SEEDED} users seeded")

        results: List[Result] = []
        direct_runs: List[Result] = []

        port = free_port()
        service_env = {
            **env,
            "PORT": str(port),
            "HOST": "127.0.0.1",
            "LOG_DIR": "",
            # Two threads beyond the store slots, as in production (STORE_CONCURRENCY).
            "THREADS": str(args.connections + 2),
            "STORE_CONCURRENCY": str(args.connections),
            "LOG_LEVEL": "WARNING",
        }
        service = start([sys.executable, str(APP_DIR / "app.py")], service_env, port)
        base = f"http://127.0.0.1:{port}"
        workdir = Path(tempfile.mkdtemp(prefix="bench-tls-"))
        sidecar, tls_port = start_sidecar(port, workdir)
        get_lua = WRK_LUA_GET.replace("MAX_SEED", str(SEEDED - 1))
        try:
            plain_runs: List[Result] = []
            tls_runs: List[Result] = []
            for round_no in range(1, args.rounds + 1):
                log(f"round {round_no}/{args.rounds}: (a) GetItem, (b) GET /user, (d) through TLS")
                direct_runs.append(direct_getitem(args.seconds, args.connections))
                plain_runs.append(wrk("plain", base, args.seconds, args.connections, get_lua))
                tls_runs.append(
                    wrk(
                        "tls",
                        f"https://127.0.0.1:{tls_port}",
                        args.seconds,
                        args.connections,
                        get_lua,
                    )
                )
            results.append(
                median_result(
                    f"(a) boto3 GetItem x32 threads (median of {args.rounds})", direct_runs
                )
            )
            results.append(
                median_result(
                    f"(b) GET /user?user_id via service (median of {args.rounds})", plain_runs
                )
            )
            log("(b) POST /user through the service")
            results.append(
                wrk(
                    "(b) POST /user via service",
                    base,
                    args.seconds,
                    args.connections,
                    WRK_LUA_POST.replace("RUN", str(time.time_ns())),
                )
            )
            log("(c) /healthz through waitress")
            results.append(
                wrk("(c) /healthz waitress", f"{base}/healthz", args.seconds, args.connections)
            )
        finally:
            sidecar.terminate()
            sidecar.wait(timeout=30)
            shutil.rmtree(workdir, ignore_errors=True)
            service.terminate()
            service.wait(timeout=30)
        results.append(
            median_result(
                f"(d) GET /user?user_id via TLS sidecar (median of {args.rounds})", tls_runs
            )
        )

        dev_port = free_port()
        launcher = WERKZEUG_LAUNCHER.format(app_dir=str(APP_DIR), port=dev_port)
        dev = start([sys.executable, "-c", launcher], env, dev_port)
        try:
            log("(c) /healthz through Flask's built-in server")
            results.append(
                wrk(
                    "(c) /healthz Flask built-in server",
                    f"http://127.0.0.1:{dev_port}/healthz",
                    args.seconds,
                    args.connections,
                )
            )
        finally:
            dev.terminate()
            dev.wait(timeout=10)

        print(table(results))
        a, get_b, post_b, health, tls_d, builtin = results
        ratio_get = get_b.rps / a.rps
        ratio_post = post_b.rps / a.rps
        ratio_health = health.rps / builtin.rps
        ratio_tls = tls_d.rps / get_b.rps
        spread = ", ".join(
            f"{d.rps:.0f}/{p.rps:.0f}/{t.rps:.0f}"
            for d, p, t in zip(direct_runs, plain_runs, tls_runs)
        )
        print(f"\n(b)/(a) GET  = {ratio_get:.2f}   (goal >= 0.80)")
        print(f"(b)/(a) POST = {ratio_post:.2f}   (PutItem vs GetItem ceiling; informative)")
        print(f"(c) waitress / built-in = {ratio_health:.2f}x (goal >= 2x)")
        print(f"(d)/(b) TLS / plain GET = {ratio_tls:.2f}  (goal >= 0.85; rounds a/b/d: {spread})")
        print("\nWhere one GET /user?user_id=... spends its time (50 requests, cumulative):")
        print(profile_one_get())
        errors = sum(r.errors for r in results)
        met = ratio_get >= 0.8 and ratio_health >= 2 and ratio_tls >= 0.85 and errors == 0
        print("GOALS MET" if met else f"GOALS NOT MET (errors: {errors})")
        return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
