"""`make demo` step for section 4: the Route 53 check the Jenkins job runs every 30 minutes.

Needs the demo's moto env exported (AWS_ENDPOINT_URL etc.). Leaves other sections' state alone:
reuses the public zone barstoolsportsbook.com if it exists, and only UPSERTs its two records.
Run: python -m tests.cicd.demo_step
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any, List, Optional

from tests.cicd.route53_seed import ZONE, create_zone, route53, upsert, weighted

CHECKER = Path(__file__).resolve().parents[2] / "cicd" / "route53_check.py"
# Absolute (not resolved: that would leave the venv) even when PATH held a relative .venv/bin.
PYTHON = str(Path.cwd() / sys.executable)
RECORD = ZONE  # the apex: two weighted A records, blue and green


def public_zone_id(client: Any) -> Optional[str]:
    page = client.list_hosted_zones_by_name(DNSName=f"{ZONE}.")
    for zone in page.get("HostedZones", []):
        if zone["Name"].rstrip(".") == ZONE and not zone.get("Config", {}).get("PrivateZone"):
            return str(zone["Id"]).rsplit("/", 1)[-1]
    return None


def set_weights(client: Any, zone_id: str, blue: int, green: int) -> None:
    upsert(
        client,
        zone_id,
        [
            weighted(RECORD, "blue", blue, value="192.0.2.10"),
            weighted(RECORD, "green", green, value="192.0.2.20"),
        ],
    )


def run_checker(title: str, args: List[str]) -> int:
    print(f"\n$ python cicd/route53_check.py {' '.join(args)}   # {title}")
    result = subprocess.run(
        [PYTHON, str(CHECKER), *args], capture_output=True, text=True, check=False
    )
    print(result.stdout.rstrip())
    if result.stderr.strip():
        print(result.stderr.rstrip())
    print(f"(exit {result.returncode})")
    return result.returncode


def main() -> int:
    print("== Section 4: Jenkins job 'Route 53 weighted-record check' (cicd/)")
    client = route53()
    zone_id = public_zone_id(client)
    if zone_id is None:
        zone_id = create_zone(client)
        print(f"created public hosted zone {ZONE} ({zone_id})")
    else:
        print(f"reusing public hosted zone {ZONE} ({zone_id})")

    set_weights(client, zone_id, blue=100, green=0)
    print("set weights: blue=100, green=0")
    first = run_checker("blue active", ["--zone", ZONE])

    set_weights(client, zone_id, blue=0, green=100)
    print("\nflipped weights: blue=0, green=100")
    second = run_checker("green active after the flip", ["--zone", ZONE])

    set_weights(client, zone_id, blue=50, green=50)
    print("\nbroken weights: blue=50, green=50 (the job would fail the build)")
    broken = run_checker("a failing check, as JSON for the Jenkinsfile", ["--zone", ZONE, "--json"])
    set_weights(client, zone_id, blue=0, green=100)  # leave the zone passing

    ok = (first, second, broken) == (0, 0, 1)
    print("\nsection 4 demo: " + ("OK" if ok else f"UNEXPECTED exits {first}/{second}/{broken}"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
