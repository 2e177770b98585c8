"""Plot a simulated incident as the shipped rules see it, evaluated by the real engine.

No model of the rules lives here. The script writes the incident's request counters as
OpenMetrics, backfills them into a TSDB with `promtool tsdb create-blocks-from openmetrics`,
starts a throwaway Prometheus on 127.0.0.1 over that TSDB, and asks it (query_range) for:
  - each SLO recording rule's expression, read from ../prometheus/recording_rules.yaml;
  - each MiddlewareErrorBudgetBurn rule's expression from ../prometheus/alerts.yaml, with the
    recording-rule names replaced by their expressions, to get the minutes its condition holds.
Only the rule's `for:` is applied here (Prometheus applies it only while evaluating live).

Traffic: 600 requests a minute; three quiet days first so the 3-day window is full.

Usage: python monitoring/scripts/plot_burn_rate.py [--out monitoring/img/burn-rate.png]
Needs promtool and prometheus on PATH (Debian `prometheus`) and matplotlib.
Exit codes: 0 ok, 2 cannot write the output, 3 a tool is missing or failed.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Dict, List, NamedTuple, Optional, Sequence

import yaml

PROM_DIR = Path(__file__).resolve().parents[1] / "prometheus"
BUDGET = 0.001  # 99.9 % availability SLO, as in alerts.yaml
RPM = 600
HISTORY_MIN = 3 * 24 * 60
PLOT_MIN = 12 * 60
WINDOWS = ("5m", "30m", "1h", "6h", "3d")
RATIO = "job:http_server_requests_errors:ratio_rate{}"


class ToolError(Exception):
    """A tool is missing or failed; the message says which and why."""


class Alert(NamedTuple):
    label: str
    expr: str
    for_min: int


def incident_error_ratio(minute: int) -> float:
    """Error ratio per minute of the plotted 12 hours (minute 0 = start of the plot)."""
    if 60 <= minute < 62:
        return 0.10  # a 2-minute blip: must not page
    if 180 <= minute < 240:
        return 0.03  # the incident: 3 % errors for an hour (30x the budget)
    if 240 <= minute < 480:
        return 0.008  # degraded tail: 0.8 % for four hours (8x)
    return 0.0003  # a normal day: 0.03 % errors (a third of the budget)


def openmetrics(start: int) -> str:
    """Counters for every minute of history + plot, starting at unix time `start`."""
    ratios = [0.0003] * HISTORY_MIN + [incident_error_ratio(m) for m in range(PLOT_MIN)]
    good = bad = 0.0
    lines = ["# TYPE http_server_requests counter"]
    rows = []
    for minute, ratio in enumerate(ratios):
        bad += RPM * ratio
        good += RPM * (1 - ratio)
        ts = start + 60 * minute
        rows.append((ts, good, bad))
    for code, index in (("200", 1), ("500", 2)):
        for row in rows:
            lines.append(
                f'http_server_requests_total{{job="middleware",route="/user",code="{code}"}} '
                f"{row[index]:.6f} {row[0]}"
            )
    lines.append("# EOF")
    return "\n".join(lines) + "\n"


def load_rules() -> tuple[Dict[str, str], List[Alert]]:
    records: Dict[str, str] = {}
    for group in yaml.safe_load((PROM_DIR / "recording_rules.yaml").read_text())["groups"]:
        for rule in group["rules"]:
            if "record" in rule:
                records[rule["record"]] = rule["expr"]
    alerts = []
    for group in yaml.safe_load((PROM_DIR / "alerts.yaml").read_text())["groups"]:
        for rule in group["rules"]:
            if rule.get("alert") == "MiddlewareErrorBudgetBurn":
                expr = rule["expr"]
                for name in sorted(records, key=len, reverse=True):
                    expr = expr.replace(name, f"({records[name]})")
                severity = rule["labels"]["severity"]
                label = "page (critical)" if severity == "critical" else "ticket (warning)"
                minutes = int(re.fullmatch(r"(\d+)([mh])", rule["for"]).group(1))  # type: ignore[union-attr]
                if rule["for"].endswith("h"):
                    minutes *= 60
                alerts.append(Alert(label, expr, minutes))
    return records, alerts


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise ToolError(f"{name} is not on PATH (Debian package prometheus)")
    return path


class Engine:
    """A throwaway Prometheus over a backfilled TSDB."""

    def __init__(self, workdir: Path, start: int) -> None:
        self.workdir = workdir
        self.start = start
        self.proc: Optional[subprocess.Popen] = None
        self.url = ""

    def __enter__(self) -> Engine:
        promtool, prometheus = _tool("promtool"), _tool("prometheus")
        data = self.workdir / "input.om"
        data.write_text(openmetrics(self.start))
        tsdb = self.workdir / "tsdb"
        print("[plot] backfilling the incident with promtool", file=sys.stderr)
        result = subprocess.run(
            [promtool, "tsdb", "create-blocks-from", "openmetrics", str(data), str(tsdb)],
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            raise ToolError(f"promtool create-blocks-from failed: {result.stderr.strip()}")
        config = self.workdir / "prometheus.yml"
        config.write_text("global:\n  scrape_interval: 1m\n")
        port = _free_port()
        self.url = f"http://127.0.0.1:{port}"
        log = (self.workdir / "prometheus.log").open("w")
        self.proc = subprocess.Popen(
            [
                prometheus,
                f"--config.file={config}",
                f"--storage.tsdb.path={tsdb}",
                "--storage.tsdb.retention.time=30d",
                f"--web.listen-address=127.0.0.1:{port}",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{self.url}/-/ready", timeout=1):  # noqa: S310 (loopback)
                    return self
            except OSError:
                if self.proc.poll() is not None:
                    break
                time.sleep(0.3)
        raise ToolError(
            f"prometheus did not start: {(self.workdir / 'prometheus.log').read_text()[-500:]}"
        )

    def __exit__(self, *exc: object) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=15)

    def range(self, expr: str) -> List[Optional[float]]:
        """One value per plotted minute (None where the expression returns nothing)."""
        first = self.start + 60 * HISTORY_MIN
        query = urllib.parse.urlencode(
            {"query": expr, "start": first, "end": first + 60 * (PLOT_MIN - 1), "step": "60"}
        )
        with urllib.request.urlopen(f"{self.url}/api/v1/query_range?{query}", timeout=120) as r:  # noqa: S310 (loopback)
            data = json.load(r)
        if data.get("status") != "success":
            raise ToolError(f"query failed: {data}")
        out: List[Optional[float]] = [None] * PLOT_MIN
        for series in data["data"]["result"]:
            for ts, value in series["values"]:
                out[(int(float(ts)) - first) // 60] = float(value)
        return out


def firing(condition: Sequence[Optional[float]], for_min: int) -> List[bool]:
    """Apply `for:`: firing once the condition has held for more than for_min minutes."""
    held, out = 0, []
    for value in condition:
        held = held + 1 if value is not None else 0
        out.append(held > for_min)
    return out


def evaluate(workdir: Path) -> tuple[Dict[str, List[Optional[float]]], Dict[str, List[bool]]]:
    records, alerts = load_rules()
    start = (int(time.time()) // 3600) * 3600 - 60 * (HISTORY_MIN + PLOT_MIN) - 7200
    with Engine(workdir, start) as engine:
        print("[plot] evaluating the shipped rules in Prometheus", file=sys.stderr)
        rates = {}
        for window in WINDOWS:
            values = engine.range(records[RATIO.format(window)])
            rates[window] = [None if v is None else v / BUDGET for v in values]
        fires = {a.label: firing(engine.range(a.expr), a.for_min) for a in alerts}
    return rates, fires


def render(
    out: Path, rates: Dict[str, List[Optional[float]]], fires: Dict[str, List[bool]]
) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    hours = [m / 60 for m in range(PLOT_MIN)]
    fig, (top, mid, bottom) = plt.subplots(
        3, 1, figsize=(11, 9), sharex=True, gridspec_kw={"height_ratios": [1, 2, 0.8]}
    )
    top.plot(hours, [100 * incident_error_ratio(m) for m in range(PLOT_MIN)], color="black")
    top.axhline(100 * BUDGET, color="grey", linestyle=":", label="budget 0.1 %")
    top.set_ylabel("errors (%)")
    top.set_title("Simulated incident: 2-min blip at 1h, 3 % errors 3h-4h, 0.8 % until 8h")
    top.legend(loc="upper right")
    for window, values in rates.items():
        mid.plot(hours, values, label=f"burn rate {window}")
    for factor, style in ((14.4, "--"), (6.0, "-."), (1.0, ":")):
        mid.axhline(factor, color="red", linestyle=style, linewidth=1, label=f"{factor}x")
    mid.set_yscale("log")
    mid.set_ylim(0.1, 100)
    mid.set_ylabel("burn rate (x budget)")
    mid.set_title(
        "recording rules evaluated by Prometheus 2.42 over the backfilled TSDB", fontsize=9
    )
    mid.legend(loc="upper right", ncol=3, fontsize=8)
    for row, fired in enumerate(fires.values()):
        bottom.plot(
            hours, [row + 0.8 if f else None for f in fired], linewidth=6, solid_capstyle="butt"
        )
    bottom.set_yticks([r + 0.8 for r in range(len(fires))], list(fires), fontsize=8)
    bottom.set_ylim(0.3, len(fires) + 0.3)
    bottom.set_xlabel("hours")
    bottom.set_title(
        "when MiddlewareErrorBudgetBurn fires (its expressions, its for:)", fontsize=10
    )
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    # Write next to the target and rename: a reader never sees half a PNG.
    fd, name = tempfile.mkstemp(suffix=".png", dir=str(out.parent))
    os.close(fd)
    tmp = Path(name)
    try:
        fig.savefig(tmp, dpi=90)
        tmp.replace(out)
    finally:
        plt.close(fig)
        if tmp.exists():
            tmp.unlink()


def first_fire(fired: Sequence[bool]) -> Optional[int]:
    return next((i for i, f in enumerate(fired) if f), None)


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(
        description="Plot the burn-rate alerts on a simulated incident, evaluated by Prometheus.",
        epilog="Example: python monitoring/scripts/plot_burn_rate.py --out /tmp/burn-rate.png",
    )
    default_out = Path(__file__).resolve().parent.parent / "img" / "burn-rate.png"
    parser.add_argument("--out", type=Path, default=default_out, help="PNG file to write")
    args = parser.parse_args(argv)
    if args.out.parent.exists() and not os.access(args.out.parent, os.W_OK):
        print(f"error: cannot write {args.out}: directory not writable", file=sys.stderr)
        return 2
    try:
        with tempfile.TemporaryDirectory(prefix="burn-rate-") as work:
            rates, fires = evaluate(Path(work))
    except ToolError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 3
    try:
        render(args.out, rates, fires)
    except OSError as exc:
        print(f"error: cannot write {args.out}: {exc}", file=sys.stderr)
        return 2
    for label, fired in fires.items():
        minute = first_fire(fired)
        when = "never" if minute is None else f"at {minute // 60}h{minute % 60:02d}"
        print(f"{label}: fires {when}")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
