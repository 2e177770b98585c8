"""Fast unit tests: the pure rule, names, and AWS answers moto cannot give (botocore Stubber).

moto never throttles or denies access, so those paths are driven here with canned Route 53
responses instead of over HTTP.
"""

from __future__ import annotations

import io
import json
from typing import Any, Dict, Iterator, List, Optional, Tuple

import boto3
import pytest
from botocore.stub import Stubber
from route53check import cli
from route53check.names import normalize_name, qualify
from route53check.records import WeightedRecord
from route53check.rules import evaluate

pytestmark = pytest.mark.py38

ZONE_ID = "Z0123456789ABCDEFGHIJ"
NAME = "www.barstoolsportsbook.com"


def rec(
    set_id: str, weight: int, name: str = NAME, rtype: str = "A", hc: Optional[str] = None
) -> WeightedRecord:
    return WeightedRecord(name, rtype, set_id, weight, ["192.0.2.1"], hc)


# --- the rule ------------------------------------------------------------------------------------


def test_rule_passes_for_100_and_0() -> None:
    verdict = evaluate([rec("green", 0), rec("blue", 100)])
    assert verdict.passed
    assert verdict.active is not None and verdict.active.set_identifier == "blue"
    assert verdict.inactive is not None and verdict.inactive.set_identifier == "green"


@pytest.mark.parametrize(
    ("records", "message"),
    [
        ([], "found 0"),
        ([rec("a", 100)], "found 1: www.barstoolsportsbook.com A a=100"),
        ([rec("a", 100), rec("b", 0), rec("c", 0)], "found 3"),
        ([rec("a", 100), rec("b", 100)], "both records have weight 100"),
        ([rec("a", 0), rec("b", 0)], "both records have weight 0"),
        ([rec("a", 50), rec("b", 50)], "weights are 50/50"),
        ([rec("a", 1), rec("b", 100)], "weights are 100/1"),
        ([rec("a", 255), rec("b", 0)], "weights are 255/0"),
        ([rec("a", 100), rec("b", 0, name="api.x")], "name and type differ"),
        ([rec("a", 100), rec("b", 0, rtype="CNAME")], "name and type differ"),
    ],
)
def test_rule_fails_naming_what_was_found(records: List[WeightedRecord], message: str) -> None:
    verdict = evaluate(records)
    assert not verdict.passed
    assert message in verdict.message
    assert verdict.active is None


def test_rule_ignores_health_checks() -> None:
    # Health is Route 53's routing decision, not this job's rule (cicd/README.md "Health checks").
    assert evaluate([rec("blue", 100, hc="hc-1"), rec("green", 0, hc="hc-2")]).passed


@pytest.mark.parametrize(
    ("raw", "normal"),
    [("WWW.Example.COM.", "www.example.com"), ("\\052.example.com.", "*.example.com")],
)
def test_normalize_name(raw: str, normal: str) -> None:
    assert normalize_name(raw) == normal


def test_qualify_relative_and_absolute_names() -> None:
    assert qualify("www", "example.com") == "www.example.com"
    assert qualify("www.example.com", "example.com.") == "www.example.com"
    assert qualify("example.com", "example.com") == "example.com"
    assert qualify("other.org.", "example.com") == "other.org"


# --- Route 53 answers moto cannot give --------------------------------------------------------


@pytest.fixture
def stubbed(monkeypatch: pytest.MonkeyPatch) -> Iterator[Tuple[Any, Stubber]]:
    client = boto3.client(
        "route53", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x"
    )
    monkeypatch.setattr(cli, "make_client", lambda *service: client)
    with Stubber(client) as stubber:
        yield client, stubber
        stubber.assert_no_pending_responses()


def zones_response() -> Dict[str, Any]:
    return {
        "HostedZones": [
            {
                "Id": f"/hostedzone/{ZONE_ID}",
                "Name": "barstoolsportsbook.com.",
                "CallerReference": "x",
                "Config": {"PrivateZone": False},
            }
        ],
        "IsTruncated": False,
        "MaxItems": "100",
    }


def records_response(hc: str) -> Dict[str, Any]:
    def rrset(set_id: str, weight: int, hc_id: Optional[str]) -> Dict[str, Any]:
        rrs: Dict[str, Any] = {
            "Name": f"{NAME}.",
            "Type": "A",
            "SetIdentifier": set_id,
            "Weight": weight,
            "TTL": 60,
            "ResourceRecords": [{"Value": "192.0.2.1"}],
        }
        if hc_id:
            rrs["HealthCheckId"] = hc_id
        return rrs

    return {
        "ResourceRecordSets": [rrset("blue", 100, hc), rrset("green", 0, None)],
        "IsTruncated": False,
        "MaxItems": "300",
    }


def run(*argv: str) -> Tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    return cli.main(list(argv), out=out, err=err), out.getvalue(), err.getvalue()


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("Throttling", "throttled by Route 53"),
        ("AccessDenied", "access denied while trying to list hosted zones"),
        ("InvalidClientTokenId", "AWS rejected the credentials"),
    ],
)
def test_errors_listing_zones_exit_2(
    stubbed: Tuple[Any, Stubber], code: str, expected: str
) -> None:
    _, stubber = stubbed
    stubber.add_client_error(
        "list_hosted_zones_by_name",
        service_error_code=code,
        service_message="nope",
        http_status_code=400,
    )
    exit_code, out, err = run("--json")
    assert exit_code == 2
    assert expected in err
    assert json.loads(out) == {
        "result": "could_not_check",
        "error": f"could not check: {err.split('could not check: ')[1].strip()}",
        "records": [],
    }


def test_access_denied_listing_records_exits_2(stubbed: Tuple[Any, Stubber]) -> None:
    _, stubber = stubbed
    stubber.add_response("list_hosted_zones_by_name", zones_response())
    stubber.add_client_error(
        "list_resource_record_sets", service_error_code="AccessDenied", http_status_code=403
    )
    exit_code, _, err = run()
    assert exit_code == 2
    assert f"list the record sets of hosted zone {ZONE_ID}" in err


def test_zone_listing_follows_pages_while_the_name_repeats(stubbed: Tuple[Any, Stubber]) -> None:
    _, stubber = stubbed
    first = zones_response()
    first.update(IsTruncated=True, NextDNSName="barstoolsportsbook.com.", NextHostedZoneId="ZPRIV")
    first["HostedZones"][0]["Config"]["PrivateZone"] = True
    stubber.add_response("list_hosted_zones_by_name", first)
    stubber.add_response(
        "list_hosted_zones_by_name",
        zones_response(),
        {"DNSName": "barstoolsportsbook.com.", "HostedZoneId": "ZPRIV"},
    )
    stubber.add_response("list_resource_record_sets", records_response(""))
    assert run()[0] == 0


def test_heartbeat_refused_is_could_not_check(
    stubbed: Tuple[Any, Stubber], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The pass cannot be announced (no cloudwatch:PutMetricData): exit 2, not a green build."""
    from route53check import heartbeat

    _, stubber = stubbed
    stubber.add_response("list_hosted_zones_by_name", zones_response())
    stubber.add_response("list_resource_record_sets", records_response(""))
    cloudwatch = boto3.client(
        "cloudwatch", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x"
    )
    monkeypatch.setattr(heartbeat, "make_client", lambda *service: cloudwatch)
    with Stubber(cloudwatch) as cw_stubber:
        cw_stubber.add_client_error(
            "put_metric_data", service_error_code="AccessDenied", http_status_code=403
        )
        exit_code, out, err = run("--json", "--heartbeat")
    assert exit_code == 2
    assert json.loads(out)["result"] == "could_not_check"
    assert "access denied while trying to publish Route53Check/CheckPassed" in err


def test_unexpected_error_is_one_line_exit_2(monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(*service: str) -> Any:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(cli, "make_client", boom)
    exit_code, _, err = run()
    assert exit_code == 2
    assert err == "route53_check: could not check: unexpected error: RuntimeError('disk on fire')\n"


# --- the README stays true ---------------------------------------------------------------------


def test_readme_iam_policy_covers_exactly_the_calls_the_checker_makes() -> None:
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    readme = (root / "cicd" / "README.md").read_text()
    blocks = re.findall(r"```json\n(.*?)```", readme, flags=re.S)
    policy = next(json.loads(b) for b in blocks if '"Statement"' in b)
    actions = {a for st in policy["Statement"] for a in st["Action"]}

    source = "\n".join(p.read_text() for p in (root / "cicd" / "route53check").glob("*.py"))
    called = {("route53", c) for c in re.findall(r"client\.(\w+)\(", source)}
    called -= {("route53", "get_paginator")}
    called |= {("route53", c) for c in re.findall(r'get_paginator\("(\w+)"\)', source)}
    called |= {("cloudwatch", c) for c in re.findall(r"cloudwatch\.(\w+)\(", source)}
    as_actions = {f"{svc}:" + "".join(w.title() for w in c.split("_")) for svc, c in called}
    assert as_actions == actions


def test_readme_documents_every_flag() -> None:
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[2] / "cicd" / "README.md").read_text()
    for action in cli.build_parser()._actions:
        for flag in action.option_strings:
            if flag not in ("-h", "--help"):
                assert flag in readme
