"""Building Route 53 fixtures in moto through boto3: zones and record sets, as the job sees them.

Used by the checker tests and by the demo step; everything goes over HTTP to the moto server
named by AWS_ENDPOINT_URL.
"""

from __future__ import annotations

import uuid
from typing import Any, Dict, List, Optional

import boto3

ZONE = "barstoolsportsbook.com"


def route53() -> Any:
    return boto3.client("route53", region_name="us-east-1")


def create_zone(client: Any, name: str = ZONE, private: bool = False) -> str:
    """Create a hosted zone and return its bare id."""
    kwargs: Dict[str, Any] = {"Name": name, "CallerReference": str(uuid.uuid4())}
    if private:
        ec2 = boto3.client("ec2", region_name="us-east-1")
        vpc_id = ec2.create_vpc(CidrBlock="10.42.0.0/16")["Vpc"]["VpcId"]
        kwargs["VPC"] = {"VPCRegion": "us-east-1", "VPCId": vpc_id}
        kwargs["HostedZoneConfig"] = {"PrivateZone": True, "Comment": "private"}
    zone_id: str = client.create_hosted_zone(**kwargs)["HostedZone"]["Id"]
    return zone_id.rsplit("/", 1)[-1]


def weighted(
    name: str,
    set_identifier: str,
    weight: int,
    value: str = "192.0.2.10",
    record_type: str = "A",
    health_check_id: Optional[str] = None,
    alias_target: Optional[Dict[str, Any]] = None,
) -> Dict[str, Any]:
    record: Dict[str, Any] = {
        "Name": name,
        "Type": record_type,
        "SetIdentifier": set_identifier,
        "Weight": weight,
    }
    if alias_target is not None:
        record["AliasTarget"] = alias_target
    else:
        record["TTL"] = 60
        record["ResourceRecords"] = [{"Value": value}]
    if health_check_id is not None:
        record["HealthCheckId"] = health_check_id
    return record


def simple(name: str, record_type: str, values: List[str], ttl: int = 300) -> Dict[str, Any]:
    return {
        "Name": name,
        "Type": record_type,
        "TTL": ttl,
        "ResourceRecords": [{"Value": v} for v in values],
    }


def upsert(client: Any, zone_id: str, records: List[Dict[str, Any]]) -> None:
    """UPSERT record sets in batches (Route 53 takes at most 1,000 changes per call)."""
    for start in range(0, len(records), 500):
        batch = records[start : start + 500]
        client.change_resource_record_sets(
            HostedZoneId=zone_id,
            ChangeBatch={"Changes": [{"Action": "UPSERT", "ResourceRecordSet": r} for r in batch]},
        )


def create_health_check(client: Any, fqdn: str = f"blue.{ZONE}") -> str:
    response = client.create_health_check(
        CallerReference=str(uuid.uuid4()),
        HealthCheckConfig={
            "Type": "HTTPS",
            "FullyQualifiedDomainName": fqdn,
            "Port": 443,
            "ResourcePath": "/health",
            "RequestInterval": 30,
            "FailureThreshold": 3,
        },
    )
    health_check_id: str = response["HealthCheck"]["Id"]
    return health_check_id
