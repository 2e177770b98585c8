"""Simulate an incident and show when each burn-rate alert of the plan would fire.

The simulation follows the Prometheus rules in ../prometheus/alerts.yaml: a 99.9 % availability
SLO, burn rates over 5m/30m/1h/6h/3d windows, a page at 14.4x (1h and 5m) or 6x (6h and 30m) and
a ticket at 1x (3d and 6h). Traffic is constant, so a window's burn rate is its mean error ratio
divided by the budget.

Usage: python monitoring/scripts/plot_burn_rate.py [--out monitoring/img/burn-rate.png]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path
from typing import Dict, List, NamedTuple, Optional, Sequence

BUDGET = 0.001  # 99.9 % availability SLO
HISTORY_MIN = 3 * 24 * 60  # three quiet days before the plot starts, so the 3d window is full
PLOT_MIN = 12 * 60
WINDOWS_MIN: Dict[str, int] = {"5m": 5, "30m": 30, "1h": 60, "6h": 360, "3d": 3 * 24 * 60}


class Rule(NamedTuple):
    name: str
    long: str
    short: str
    factor: float
    for_min: int


RULES: Sequence[Rule] = (
    Rule("page fast (14.4x, 1h+5m)", "1h", "5m", 14.4, 2),
    Rule("page slow (6x, 6h+30m)", "6h", "30m", 6.0, 2),
    Rule("ticket (1x, 3d+6h)", "3d", "6h", 1.0, 60),
)


def incident_error_ratio(minute: int) -> float:
    """Error ratio per minute of the plotted 12 hours (minute 0 = start of the plot)."""
    if 60 <= minute < 62:
        return 0.10  # a 2-minute blip: must not page
    if 180 <= minute < 240:
        return 0.03  # the incident: 3 % errors for an hour (30x the budget)
    if 240 <= minute < 480:
        return 0.008  # degraded tail: 0.8 % for four hours (8x)
    return 0.0003  # a normal day: 0.03 % errors (a third of the budget)


def burn_rates(series: List[float]) -> Dict[str, List[float]]:
    """Burn rate of every window at every minute (prefix sums; windows clip at the start)."""
    prefix = [0.0]
    for value in series:
        prefix.append(prefix[-1] + value)
    rates: Dict[str, List[float]] = {}
    for name, width in WINDOWS_MIN.items():
        out = []
        for t in range(len(series)):
            lo = max(0, t + 1 - width)
            out.append((prefix[t + 1] - prefix[lo]) / (t + 1 - lo) / BUDGET)
        rates[name] = out
    return rates


def firing_minutes(rates: Dict[str, List[float]], rule: Rule) -> List[bool]:
    """Whether the rule fires at each minute, honouring its for: duration."""
    pending = 0
    firing = []
    for long_rate, short_rate in zip(rates[rule.long], rates[rule.short]):
        pending = pending + 1 if long_rate > rule.factor and short_rate > rule.factor else 0
        firing.append(pending > rule.for_min)
    return firing


def first_fire(firing: Sequence[bool]) -> Optional[int]:
    return next((i for i, f in enumerate(firing) if f), None)


def render(out: Path) -> Dict[str, Optional[int]]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    series = [0.0003] * HISTORY_MIN + [incident_error_ratio(m) for m in range(PLOT_MIN)]
    rates = burn_rates(series)
    hours = [m / 60 for m in range(PLOT_MIN)]
    plotted = {k: v[HISTORY_MIN:] for k, v in rates.items()}
    fires = {r.name: firing_minutes(rates, r)[HISTORY_MIN:] for r in RULES}

    fig, (top, mid, bottom) = plt.subplots(
        3, 1, figsize=(11, 9), sharex=True, gridspec_kw={"height_ratios": [1, 2, 0.8]}
    )
    top.plot(hours, [100 * incident_error_ratio(m) for m in range(PLOT_MIN)], color="black")
    top.axhline(100 * BUDGET, color="grey", linestyle=":", label="budget 0.1 %")
    top.set_ylabel("errors (%)")
    top.set_title("Simulated incident: 2-min blip at 1h, 3 % errors 3h-4h, 0.8 % until 8h")
    top.legend(loc="upper right")

    for name in WINDOWS_MIN:
        mid.plot(hours, plotted[name], label=f"burn rate {name}")
    for factor, style in ((14.4, "--"), (6.0, "-."), (1.0, ":")):
        mid.axhline(factor, color="red", linestyle=style, linewidth=1, label=f"{factor}x")
    mid.set_yscale("log")
    mid.set_ylim(0.1, 100)
    mid.set_ylabel("burn rate (x budget)")
    mid.legend(loc="upper right", ncol=3, fontsize=8)

    for row, rule in enumerate(RULES):
        on = [row + 0.8 if f else None for f in fires[rule.name]]
        bottom.plot(hours, on, linewidth=6, solid_capstyle="butt")
    bottom.set_yticks([r + 0.8 for r in range(len(RULES))], [r.name for r in RULES], fontsize=8)
    bottom.set_ylim(0.3, len(RULES) + 0.3)
    bottom.set_xlabel("hours")
    bottom.set_title("when each alert fires", fontsize=10)
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
    return {name: first_fire(f) for name, f in fires.items()}


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default_out = Path(__file__).resolve().parent.parent / "img" / "burn-rate.png"
    parser.add_argument("--out", type=Path, default=default_out, help="PNG file to write")
    args = parser.parse_args(argv)
    try:
        fired = render(args.out)
    except OSError as exc:
        print(f"error: cannot write {args.out}: {exc}", file=sys.stderr)
        return 2
    for name, minute in fired.items():
        when = "never" if minute is None else f"at {minute // 60}h{minute % 60:02d}"
        print(f"{name}: fires {when}")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
