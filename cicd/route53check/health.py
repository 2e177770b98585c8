"""Reading a health check's current status (route53:GetHealthCheckStatus)."""

from __future__ import annotations

from typing import Any, NamedTuple

from route53check.client import aws_call

# Route 53 treats an endpoint as healthy when more than 18% of its checkers report it healthy.
HEALTHY_SHARE = 0.18


class HealthStatus(NamedTuple):
    health_check_id: str
    healthy: bool
    reporting: int  # checkers that reported
    succeeding: int  # of those, how many report Success

    def describe(self) -> str:
        state = "healthy" if self.healthy else "UNHEALTHY"
        return f"{self.health_check_id} {state} ({self.succeeding}/{self.reporting} checkers ok)"


def health_of(client: Any, health_check_id: str) -> HealthStatus:
    with aws_call(f"read the status of health check {health_check_id}"):
        response = client.get_health_check_status(HealthCheckId=health_check_id)
    observations = response.get("HealthCheckObservations", [])
    statuses = [str(o.get("StatusReport", {}).get("Status", "")) for o in observations]
    succeeding = sum(1 for status in statuses if status.startswith("Success"))
    # No observations yet (a brand-new check) counts as unhealthy: routing is not settled.
    healthy = bool(statuses) and succeeding / len(statuses) > HEALTHY_SHARE
    return HealthStatus(health_check_id, healthy, len(statuses), succeeding)
