"""The dead-man signal: one CloudWatch data point each time the check passes.

Monitoring alarms when the metric has no data point for an hour (``TreatMissingData:
breaching``), which covers every way the job can stop telling us the zone is right: the check
failing, the build not starting (controller down, agent offline, cron removed), or the job being
deleted. See cicd/README.md ("Dead-man signal") for the alarm.
"""

from __future__ import annotations

import datetime
from typing import Any

from route53check.client import aws_call, make_client

NAMESPACE = "Route53Check"
METRIC_NAME = "CheckPassed"
DIMENSION = "Zone"


def publish_pass(zone_name: str, namespace: str = NAMESPACE, client: Any = None) -> None:
    """Put ``CheckPassed=1`` for ``zone_name``; raises CouldNotCheck when CloudWatch refuses."""
    cloudwatch = client if client is not None else make_client("cloudwatch")
    with aws_call(f"publish {namespace}/{METRIC_NAME} to CloudWatch"):
        cloudwatch.put_metric_data(
            Namespace=namespace,
            MetricData=[
                {
                    "MetricName": METRIC_NAME,
                    "Dimensions": [{"Name": DIMENSION, "Value": zone_name}],
                    "Timestamp": datetime.datetime.now(datetime.timezone.utc),
                    "Value": 1.0,
                    "Unit": "Count",
                }
            ],
        )
