"""The store mapping and the error taxonomy: which DynamoDB failure becomes which HTTP status.

The taxonomy runs on botocore's Stubber with the error codes DynamoDB documents; the mapping
runs on both real engines (moto and dynalite) with hypothesis-generated users.
"""

from __future__ import annotations

import itertools
from typing import Iterator

import boto3
import pytest
from botocore.exceptions import ConnectTimeoutError, EndpointConnectionError, ReadTimeoutError
from botocore.stub import Stubber
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from userapi import UserStore, create_app
from userapi.store import CLIENT_CONFIG, WORST_CASE_SECONDS

from tests.app.test_validation import EMAIL, NAME, VALID_ID

pytestmark = pytest.mark.py38

USER = {"user_id": "u1", "name": "Ada", "email": "ada@example.com"}


@pytest.fixture
def stubbed() -> Iterator[tuple]:
    client = boto3.client(
        "dynamodb",
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=CLIENT_CONFIG,
    )
    store = UserStore("users", client=client)
    with Stubber(client) as stubber:
        yield store, stubber, create_app(store).test_client()


# (DynamoDB error code, its HTTP status, what the client gets)
ERRORS = [
    ("ValidationException", 400, 400),
    ("SerializationException", 400, 400),
    ("ItemCollectionSizeLimitExceededException", 400, 400),
    ("ResourceNotFoundException", 400, 500),
    ("AccessDeniedException", 400, 500),
    ("UnrecognizedClientException", 400, 500),
    ("ExpiredTokenException", 400, 500),
    ("ProvisionedThroughputExceededException", 400, 503),
    ("ThrottlingException", 400, 503),
    ("RequestLimitExceeded", 400, 503),
    ("InternalServerError", 500, 503),
    ("ServiceUnavailable", 503, 503),
]


@pytest.mark.parametrize(("code", "aws_status", "status"), ERRORS)
def test_dynamodb_errors_map_to_client_or_server_status(
    stubbed: tuple, code: str, aws_status: int, status: int
) -> None:
    _, stubber, client = stubbed
    stubber.add_client_error("put_item", service_error_code=code, http_status_code=aws_status)
    response = client.post("/user", json=USER)
    assert response.status_code == status, response.get_json()
    assert set(response.get_json()) == {"error", "status"}
    if status == 503:
        assert 1 <= int(response.headers["Retry-After"]) <= 5
    else:
        assert "Retry-After" not in response.headers
    # A configuration fault marks the service not ready even though DescribeTable works.
    stubber.add_response("describe_table", {"Table": {"TableName": "users"}})
    ready = client.get("/readyz").status_code
    assert ready == (503 if status == 500 else 200)


def test_retry_after_is_jittered(stubbed: tuple) -> None:
    _, stubber, client = stubbed
    seen = set()
    for _ in range(40):
        stubber.add_client_error("get_item", service_error_code="ThrottlingException")
        seen.add(client.get("/user?user_id=u1").headers["Retry-After"])
    assert len(seen) >= 3, seen


@pytest.mark.parametrize(
    "exc",
    [
        ConnectTimeoutError(endpoint_url="https://dynamodb"),
        ReadTimeoutError(endpoint_url="https://dynamodb"),
        EndpointConnectionError(endpoint_url="https://dynamodb"),
    ],
)
def test_timeouts_and_connection_errors_are_503(exc: Exception) -> None:
    class Failing:
        def get_item(self, **_: object) -> None:
            raise exc

    client = create_app(UserStore("users", client=Failing())).test_client()
    response = client.get("/user?user_id=u1")
    assert response.status_code == 503 and response.headers["Retry-After"]


def test_a_fault_clears_once_the_store_works_again(stubbed: tuple) -> None:
    store, stubber, client = stubbed
    stubber.add_client_error("get_item", service_error_code="AccessDeniedException")
    assert client.get("/user?user_id=u1").status_code == 500
    assert store.fault
    stubber.add_response("get_item", {})
    assert client.get("/user?user_id=u1").status_code == 404
    assert store.fault is None


def test_timeouts_are_bounded() -> None:
    # The arithmetic the README states; a change to the client config must update both.
    options = vars(CLIENT_CONFIG)  # botocore sets them dynamically: mypy cannot see them
    assert options["connect_timeout"] == 1 and options["read_timeout"] == 2
    assert options["retries"] == {"mode": "standard", "total_max_attempts": 2}
    assert WORST_CASE_SECONDS == 7


############################################################
# On both engines
############################################################

_serial = itertools.count()


@given(user_id=VALID_ID, name=NAME, email=EMAIL)
@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_any_valid_user_round_trips_exactly(
    users_table: str, user_id: str, name: str, email: str
) -> None:
    # A prefix keeps ids unique across examples (the table is not reset between them).
    user_id = f"p{next(_serial)}-{user_id}"[:128]
    store = UserStore(users_table)
    user = {"user_id": user_id, "name": name, "email": email}
    assert store.create(dict(user)) == user
    assert store.get(user_id) == user
    raw = boto3.client("dynamodb").get_item(TableName=users_table, Key={"user_id": {"S": user_id}})
    assert raw["Item"] == {key: {"S": value} for key, value in user.items()}


@given(user_id=st.text(min_size=0, max_size=3000))
@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_no_user_id_reaches_dynamodb_unchecked(client, user_id: str) -> None:
    # Whatever the id, the answer is a 4xx and never a 5xx (dynalite refuses what DynamoDB does).
    response = client.get("/user", query_string={"user_id": user_id})
    assert response.status_code in (400, 404), response.get_json()
