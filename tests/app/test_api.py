"""The HTTP contract, through Flask's test client and the real store (moto and dynalite)."""

from __future__ import annotations

import json

import boto3
import pytest
from userapi.web import MAX_BODY_BYTES

pytestmark = pytest.mark.py38

USER = {"name": "Ada Lovelace", "email": "ada@example.com"}


def post(client, body, content_type="application/json"):
    data = body if isinstance(body, (bytes, str)) else json.dumps(body)
    return client.post("/user", data=data, content_type=content_type)


def test_post_then_get_round_trips_through_dynamodb(client, users_table) -> None:
    created = post(client, USER)
    assert created.status_code == 201
    user = created.get_json()
    assert user["name"] == USER["name"] and user["email"] == USER["email"]
    assert created.headers["Location"] == f"/user?user_id={user['user_id']}"

    fetched = client.get(f"/user?user_id={user['user_id']}")
    assert fetched.status_code == 200
    assert fetched.get_json() == user
    # It really is in the table, not in some cache.
    item = boto3.client("dynamodb").get_item(
        TableName=users_table, Key={"user_id": {"S": user["user_id"]}}
    )["Item"]
    assert item["email"]["S"] == USER["email"]


def test_duplicate_user_id_is_409_and_keeps_the_original(client) -> None:
    assert post(client, {"user_id": "u1", **USER}).status_code == 201
    clash = post(client, {"user_id": "u1", "name": "Mallory", "email": "m@example.com"})
    assert clash.status_code == 409
    assert clash.get_json() == {"error": "a user with this user_id already exists", "status": 409}
    assert client.get("/user?user_id=u1").get_json()["name"] == USER["name"]


def test_unknown_user_is_404(client) -> None:
    response = client.get("/user?user_id=nobody")
    assert response.status_code == 404
    assert response.get_json()["error"] == "user not found"


@pytest.mark.parametrize(
    ("query", "status"),
    [
        ("", 400),  # no listing: a bulk read would be unauthenticated
        ("limit=100", 400),
        ("next=eyJ1c2VyX2lkIjp7IlMiOiJhIn19", 400),
        ("user_id=bad%20id", 400),
        ("user_id=abc%0A", 400),
        ("user_id=a&user_id=b", 400),
        ("user_id=%FF", 400),
        ("colour=blue", 400),
    ],
)
def test_bad_queries_are_400(client, query: str, status: int) -> None:
    response = client.get(f"/user?{query}")
    assert response.status_code == status
    assert set(response.get_json()) == {"error", "status"}


def test_malformed_json_is_400(client) -> None:
    response = post(client, b'{"name": ')
    assert response.status_code == 400
    assert response.get_json() == {"error": "body is not valid JSON", "status": 400}


def test_wrong_content_type_is_415(client) -> None:
    assert post(client, json.dumps(USER), content_type="text/plain").status_code == 415


def test_body_over_64_kib_is_413_and_nothing_is_stored(client, users_table) -> None:
    big = {"user_id": "big", "name": "x" * (MAX_BODY_BYTES + 1), "email": "a@example.com"}
    response = post(client, big)
    assert response.status_code == 413
    assert response.get_json()["status"] == 413
    assert client.get("/user?user_id=big").status_code == 404


def test_invalid_fields_are_400_and_nothing_is_stored(client) -> None:
    response = post(client, {"user_id": "x1", "name": "A", "email": "nope"})
    assert response.status_code == 400
    assert "email" in response.get_json()["error"]
    assert client.get("/user?user_id=x1").status_code == 404


def test_unknown_path_and_wrong_method_are_json(client) -> None:
    missing = client.get("/users")
    assert missing.status_code == 404 and missing.get_json()["status"] == 404
    wrong = client.delete("/user")
    assert wrong.status_code == 405 and wrong.get_json()["status"] == 405
    assert "GET" in wrong.headers["Allow"] and "POST" in wrong.headers["Allow"]


def test_health_and_readiness(client) -> None:
    assert client.get("/healthz").get_json() == {"status": "ok"}
    assert client.get("/readyz").get_json() == {"status": "ready", "table": "users"}


def test_missing_table_is_500_and_not_ready(store_env) -> None:
    # A configuration fault: no retry by the client helps, so not a 503 that pages as an outage.
    from userapi import UserStore, create_app

    client = create_app(UserStore("no-such-table")).test_client()
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["error"].startswith("not ready")
    created = post(client, USER)
    assert created.status_code == 500
    assert created.get_json() == {"error": "internal error", "status": 500}
    assert "Retry-After" not in created.headers


def test_request_id_is_echoed_or_generated(client) -> None:
    assert (
        client.get("/healthz", headers={"X-Request-ID": "abc-123"}).headers["X-Request-ID"]
        == "abc-123"
    )
    assert len(client.get("/healthz").headers["X-Request-ID"]) == 32


def test_openapi_document_is_served_and_matches_the_repo(client, repo_root) -> None:
    served = client.get("/openapi.json")
    assert served.status_code == 200
    committed = json.loads((repo_root / "docker/app/openapi.json").read_text())
    assert served.get_json() == committed
    assert set(committed["paths"]) == {"/user", "/healthz", "/readyz"}
