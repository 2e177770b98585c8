"""The checker against a real moto server over HTTP: every case the job must tell apart."""

from __future__ import annotations

import io
import json
from typing import Any, List, Tuple

import pytest
from route53check.cli import main

from tests.cicd.route53_seed import (
    ZONE,
    create_health_check,
    create_zone,
    simple,
    upsert,
    weighted,
)

pytestmark = [pytest.mark.integration, pytest.mark.py38]

WWW = f"www.{ZONE}"


def check(*args: str) -> Tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(args), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def check_json(*args: str) -> Tuple[int, Any]:
    code, out, _ = check("--json", *args)
    return code, json.loads(out)


def seed(r53: Any, zone_id: str, *weights: int, name: str = WWW) -> None:
    colours = ["blue", "green", "red", "amber"]
    upsert(
        r53,
        zone_id,
        [weighted(name, colours[i], w, value=f"192.0.2.{i + 1}") for i, w in enumerate(weights)],
    )


# --- passing ----------------------------------------------------------------------------------


def test_pass_active_and_inactive_are_reported(r53: Any, zone_id: str) -> None:
    seed(r53, zone_id, 100, 0)
    code, out, err = check()
    assert code == 0, err
    lines = out.splitlines()
    active = next(line for line in lines if line.startswith("ACTIVE"))
    inactive = next(line for line in lines if line.startswith("INACTIVE"))
    assert "blue" in active and "100" in active and "192.0.2.1" in active
    assert "green" in inactive and "192.0.2.2" in inactive
    assert "PASS: active: blue, inactive: green" in out


def test_pass_when_the_inactive_record_is_listed_first(r53: Any, zone_id: str) -> None:
    seed(r53, zone_id, 0, 100)
    code, doc = check_json()
    assert code == 0
    assert doc["active"]["set_identifier"] == "green"
    assert doc["inactive"]["set_identifier"] == "blue"


def test_json_success_schema(r53: Any, zone_id: str) -> None:
    seed(r53, zone_id, 100, 0)
    code, doc = check_json()
    assert code == 0
    assert set(doc) == {"result", "zone", "zone_id", "active", "inactive"}
    assert doc["zone"] == ZONE
    assert doc["zone_id"] == zone_id
    assert doc["active"] == {
        "name": WWW,
        "type": "A",
        "set_identifier": "blue",
        "weight": 100,
        "values": ["192.0.2.1"],
    }
    assert doc["inactive"]["weight"] == 0
    assert set(doc["inactive"]) == {"name", "type", "set_identifier", "weight", "values"}


def test_json_failure_schema_lists_what_was_found(r53: Any, zone_id: str) -> None:
    seed(r53, zone_id, 50, 50)
    code, doc = check_json()
    assert code == 1
    assert set(doc) == {"result", "error", "records"}
    assert "50/50" in doc["error"]
    assert sorted(r["set_identifier"] for r in doc["records"]) == ["blue", "green"]
    assert all(r["weight"] == 50 for r in doc["records"])


def test_alias_targets_are_shown_as_values(r53: Any, zone_id: str) -> None:
    def alias(dns: str) -> Any:
        return {"HostedZoneId": "Z35SXDOTRQ7X7K", "DNSName": dns, "EvaluateTargetHealth": False}

    upsert(
        r53,
        zone_id,
        [
            weighted(WWW, "blue", 100, alias_target=alias("blue-lb.elb.amazonaws.com")),
            weighted(WWW, "green", 0, alias_target=alias("green-lb.elb.amazonaws.com")),
        ],
    )
    code, doc = check_json()
    assert code == 0
    assert doc["active"]["values"] == ["alias blue-lb.elb.amazonaws.com"]
    assert doc["inactive"]["values"] == ["alias green-lb.elb.amazonaws.com"]


# --- failing: the records are not as required ---------------------------------------------------


@pytest.mark.parametrize(
    ("weights", "expected"),
    [
        ((), "expected exactly 2 weighted records, found 0"),
        ((100,), "expected exactly 2 weighted records, found 1"),
        ((100, 0, 0), "expected exactly 2 weighted records, found 3"),
        ((100, 100), "both records have weight 100"),
        ((0, 0), "both records have weight 0"),
        ((50, 50), "weights are 50/50"),
        ((100, 1), "weights are 100/1"),
    ],
)
def test_fails_with_a_message_naming_what_was_found(
    r53: Any, zone_id: str, weights: Tuple[int, ...], expected: str
) -> None:
    if weights:
        seed(r53, zone_id, *weights)
    code, out, err = check()
    assert code == 1
    assert expected in out and expected in err
    for colour, weight in zip(["blue", "green", "red"], weights):
        assert f"{colour}={weight}" in err


def test_mixed_names_fail(r53: Any, zone_id: str) -> None:
    upsert(r53, zone_id, [weighted(WWW, "blue", 100), weighted(f"api.{ZONE}", "green", 0)])
    code, _, err = check()
    assert code == 1
    assert "name and type differ" in err and "api.barstoolsportsbook.com" in err


def test_mixed_types_fail(r53: Any, zone_id: str) -> None:
    upsert(
        r53,
        zone_id,
        [
            weighted(WWW, "blue", 100),
            weighted(WWW, "green", 0, value="2001:db8::1", record_type="AAAA"),
        ],
    )
    code, _, err = check()
    assert code == 1
    assert "name and type differ" in err and "AAAA" in err


def test_other_record_types_are_ignored(r53: Any, zone_id: str) -> None:
    upsert(
        r53,
        zone_id,
        [
            simple(ZONE, "MX", ["10 mail.barstoolsportsbook.com"]),
            simple(f"mail.{ZONE}", "A", ["192.0.2.25"]),
            simple(ZONE, "TXT", ['"v=spf1 -all"']),
            # moto accepts a Weight without SetIdentifier; real Route 53 would not, so it is
            # not a weighted record and must not count.
            {**simple(f"odd.{ZONE}", "A", ["192.0.2.99"]), "Weight": 100},
        ],
    )
    seed(r53, zone_id, 100, 0)
    types = {
        rs["Type"]
        for rs in r53.list_resource_record_sets(HostedZoneId=zone_id)["ResourceRecordSets"]
    }
    assert {"NS", "SOA", "MX", "A", "TXT"} <= types
    code, out, err = check()
    assert code == 0, err
    assert "mail." not in out and "odd." not in out


def test_pagination_past_300_records(r53: Any, zone_id: str) -> None:
    upsert(r53, zone_id, [simple(f"host-{i:03d}.{ZONE}", "A", ["192.0.2.1"]) for i in range(400)])
    seed(r53, zone_id, 100, 0, name=f"zz-www.{ZONE}")
    first = r53.list_resource_record_sets(HostedZoneId=zone_id)
    # Proves the test means something: the weighted pair is not on the first page.
    assert first["IsTruncated"] is True
    assert not any("SetIdentifier" in rs for rs in first["ResourceRecordSets"])
    code, doc = check_json()
    assert code == 0
    assert doc["active"]["name"] == f"zz-www.{ZONE}"


def test_pagination_does_not_double_count_across_a_page_boundary(r53: Any, zone_id: str) -> None:
    # 298 + NS + SOA = 300 on page one would end right after "blue"; "green" starts page two.
    upsert(r53, zone_id, [simple(f"a-{i:03d}.{ZONE}", "A", ["192.0.2.1"]) for i in range(297)])
    seed(r53, zone_id, 100, 0, name=f"b-www.{ZONE}")
    code, doc = check_json()
    assert code == 0, doc


# --- which zone --------------------------------------------------------------------------------


@pytest.fixture
def split_zones(r53: Any) -> Tuple[str, str]:
    """A public zone that passes and a private zone of the same name that fails (50/50)."""
    public = create_zone(r53)
    private = create_zone(r53, private=True)
    seed(r53, public, 100, 0)
    seed(r53, private, 50, 50)
    return public, private


def test_public_zone_is_the_default_when_names_are_shared(split_zones: Tuple[str, str]) -> None:
    public, _ = split_zones
    code, doc = check_json()
    assert code == 0
    assert doc["zone_id"] == public


def test_private_zone_flag_picks_the_private_zone(split_zones: Tuple[str, str]) -> None:
    code, doc = check_json("--private-zone")
    assert code == 1
    assert "50/50" in doc["error"]


def test_zone_id_picks_that_zone(split_zones: Tuple[str, str]) -> None:
    public, private = split_zones
    assert check_json("--zone-id", private)[0] == 1
    assert check_json("--zone-id", f"/hostedzone/{public}")[0] == 0


def test_zone_id_of_another_name_cannot_be_checked(split_zones: Tuple[str, str]) -> None:
    code, out, err = check("--zone", "example.org", "--zone-id", split_zones[0])
    assert code == 2
    assert "not found" in err and out == ""


def test_only_a_private_zone_exists(r53: Any) -> None:
    seed(r53, create_zone(r53, private=True), 100, 0)
    code, _, err = check()
    assert code == 2
    assert "public hosted zone barstoolsportsbook.com not found" in err
    assert check("--private-zone")[0] == 0


@pytest.mark.parametrize("created_as", [ZONE, f"{ZONE}."])
@pytest.mark.parametrize("asked_as", [ZONE, f"{ZONE}.", ZONE.upper()])
def test_zone_name_with_or_without_trailing_dot(r53: Any, created_as: str, asked_as: str) -> None:
    seed(r53, create_zone(r53, name=created_as), 100, 0)
    code, doc = check_json("--zone", asked_as)
    assert code == 0
    assert doc["zone"] == ZONE


def test_similar_zone_names_do_not_match(r53: Any) -> None:
    seed(r53, create_zone(r53, name=f"staging.{ZONE}"), 100, 0, name=f"www.staging.{ZONE}")
    seed(r53, create_zone(r53, name=f"{ZONE}.example"), 100, 0, name=f"www.{ZONE}.example")
    code, _, err = check()
    assert code == 2
    assert "not found" in err


# --- --record-name -----------------------------------------------------------------------------


@pytest.fixture
def two_sets(r53: Any, zone_id: str) -> str:
    seed(r53, zone_id, 100, 0)
    seed(r53, zone_id, 50, 50, name=f"api.{ZONE}")
    return zone_id


def test_two_weighted_sets_without_record_name_fail(two_sets: str) -> None:
    code, _, err = check()
    assert code == 1
    assert "found 4" in err


@pytest.mark.parametrize("name", ["www", WWW, f"{WWW}.", "WWW"])
def test_record_name_narrows_to_one_set(two_sets: str, name: str) -> None:
    code, doc = check_json("--record-name", name)
    assert code == 0
    assert doc["active"]["name"] == WWW


def test_record_name_narrows_to_a_failing_set(two_sets: str) -> None:
    code, doc = check_json("--record-name", f"api.{ZONE}.")
    assert code == 1
    assert {r["name"] for r in doc["records"]} == {f"api.{ZONE}"}


def test_record_name_that_does_not_exist(two_sets: str) -> None:
    code, _, err = check("--record-name", "nope")
    assert code == 1
    assert "found 0" in err


# --- health checks: shown, never judged (see cicd/README.md "Health checks") ----------------------


def test_health_check_is_shown_not_judged(r53: Any, zone_id: str) -> None:
    hc = create_health_check(r53)
    upsert(
        r53, zone_id, [weighted(WWW, "blue", 100, health_check_id=hc), weighted(WWW, "green", 0)]
    )
    code, out, err = check()
    assert code == 0, err
    active = next(line for line in out.splitlines() if line.startswith("ACTIVE"))
    assert active.rstrip().endswith(hc)
    code, doc = check_json()
    assert code == 0
    assert doc["active"]["set_identifier"] == "blue"


def test_health_check_id_is_listed_when_the_check_fails(r53: Any, zone_id: str) -> None:
    hc = create_health_check(r53)
    upsert(
        r53, zone_id, [weighted(WWW, "blue", 50, health_check_id=hc), weighted(WWW, "green", 50)]
    )
    code, doc = check_json()
    assert code == 1
    assert {r["set_identifier"]: r["health_check_id"] for r in doc["records"]} == {
        "blue": hc,
        "green": None,
    }


# --- could not check ---------------------------------------------------------------------------


def test_zone_not_found(aws_env: Any) -> None:
    code, out, err = check()
    assert code == 2
    assert out.startswith("Hosted zone") is False
    assert "could not check: public hosted zone barstoolsportsbook.com not found" in err


def test_zone_not_found_json(aws_env: Any) -> None:
    code, doc = check_json("--zone", "nothing-here.example")
    assert code == 2
    assert doc == {
        "result": "could_not_check",
        "error": "could not check: public hosted zone nothing-here.example not found",
        "records": [],
    }


@pytest.mark.parametrize(
    "argv",
    [["--no-such-flag"], ["--zone"], ["unexpected-positional"]],
)
def test_bad_usage_exits_2(
    argv: List[str], aws_env: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2
    assert "usage:" in capsys.readouterr().err
