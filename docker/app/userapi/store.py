"""DynamoDB access for users. The only module that talks to AWS."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any, Dict, List, Optional, Tuple

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

# Bounded retries and timeouts: a slow table must turn into a quick 503, not a hung worker.
CLIENT_CONFIG = Config(
    retries={"mode": "standard", "max_attempts": 3},
    connect_timeout=2,
    read_timeout=5,
    max_pool_connections=64,
)

# Errors that mean "the store is unavailable right now", as opposed to a bug in our request.
_UNAVAILABLE_CODES = {
    "ProvisionedThroughputExceededException",
    "ThrottlingException",
    "RequestLimitExceeded",
    "InternalServerError",
    "ServiceUnavailable",
    "ResourceNotFoundException",
    "AccessDeniedException",
    "UnrecognizedClientException",
}


class StoreUnavailable(Exception):
    """DynamoDB could not be reached or refused the call; the client should retry later."""


class UserExists(Exception):
    """A user with this user_id is already stored."""


class InvalidCursor(ValueError):
    """The pagination cursor is not one we issued."""


def _to_item(user: Dict[str, str]) -> Dict[str, Dict[str, str]]:
    return {key: {"S": value} for key, value in user.items()}


def _from_item(item: Dict[str, Dict[str, Any]]) -> Dict[str, str]:
    return {key: str(value.get("S", "")) for key, value in item.items()}


def encode_cursor(last_key: Dict[str, Any]) -> str:
    raw = json.dumps(last_key, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> Dict[str, Any]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        key = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, binascii.Error) as exc:
        raise InvalidCursor("next cursor is malformed") from exc
    if not isinstance(key, dict) or set(key) != {"user_id"}:
        raise InvalidCursor("next cursor is malformed")
    user_id = key["user_id"]
    if not isinstance(user_id, dict) or not isinstance(user_id.get("S"), str):
        raise InvalidCursor("next cursor is malformed")
    return key


class UserStore:
    """Users in one DynamoDB table with partition key ``user_id`` (S)."""

    def __init__(self, table: str, client: Any = None) -> None:
        self.table = table
        # The client reads region, credentials and AWS_ENDPOINT_URL from the standard env.
        self.client = (
            client if client is not None else boto3.client("dynamodb", config=CLIENT_CONFIG)
        )

    def _call(self, operation: str, **kwargs: Any) -> Dict[str, Any]:
        try:
            return getattr(self.client, operation)(**kwargs)
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            if code == "ConditionalCheckFailedException":
                raise
            if (
                code in _UNAVAILABLE_CODES
                or exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 500) >= 500
            ):
                raise StoreUnavailable(f"DynamoDB {operation} failed: {code}") from exc
            raise
        except BotoCoreError as exc:
            raise StoreUnavailable(f"DynamoDB {operation} failed: {type(exc).__name__}") from exc

    def create(self, user: Dict[str, str]) -> Dict[str, str]:
        """Store a new user; never overwrites (the put is conditional, so nothing half-written)."""
        try:
            self._call(
                "put_item",
                TableName=self.table,
                Item=_to_item(user),
                ConditionExpression="attribute_not_exists(user_id)",
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                raise UserExists(user["user_id"]) from exc
            raise
        return user

    def get(self, user_id: str) -> Optional[Dict[str, str]]:
        response = self._call(
            "get_item", TableName=self.table, Key={"user_id": {"S": user_id}}, ConsistentRead=True
        )
        item = response.get("Item")
        return _from_item(item) if item else None

    def list(
        self, limit: int, cursor: Optional[str] = None
    ) -> Tuple[List[Dict[str, str]], Optional[str]]:
        kwargs: Dict[str, Any] = {"TableName": self.table, "Limit": limit}
        if cursor:
            kwargs["ExclusiveStartKey"] = decode_cursor(cursor)
        response = self._call("scan", **kwargs)
        users = [_from_item(item) for item in response.get("Items", [])]
        last_key = response.get("LastEvaluatedKey")
        return users, encode_cursor(last_key) if last_key else None

    def ping(self) -> None:
        """Raise StoreUnavailable unless the table answers (readiness)."""
        self._call("describe_table", TableName=self.table)
