"""DynamoDB access for users. The only module that talks to AWS.

Every failure is sorted into one of four kinds, because each asks something different of the
caller (see the README's error list):
  StoreRejected      DynamoDB refused this request (ValidationException, other 4xx): a 400.
  StoreMisconfigured table missing, access denied, bad credentials: a 500, and not ready.
  StoreUnavailable   throttling, DynamoDB 5xx, timeouts, connection errors: a 503, retry later.
  UserExists         the conditional create found the user_id taken: a 409.
"""

from __future__ import annotations

import threading
from typing import Any, Dict, Optional

import boto3
from botocore.config import Config
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    NoCredentialsError,
    NoRegionError,
    ParamValidationError,
    PartialCredentialsError,
)

# Bounded time per DynamoDB call, so a sick table turns into a quick 503, not a hung worker.
# Worst case of one call: MAX_ATTEMPTS x (CONNECT + READ) + the standard mode's backoff before
# the retry (rand(0,1) x 2**0 <= 1 s) = 2 x (1 + 2) + 1 = 7 s. One call per request.
CONNECT_TIMEOUT = 1.0
READ_TIMEOUT = 2.0
MAX_ATTEMPTS = 2
RETRY_BACKOFF_MAX = 1.0
WORST_CASE_SECONDS = MAX_ATTEMPTS * (CONNECT_TIMEOUT + READ_TIMEOUT) + RETRY_BACKOFF_MAX
CLIENT_CONFIG = Config(
    # total_max_attempts counts the first try; botocore's `max_attempts` would count retries only.
    retries={"mode": "standard", "total_max_attempts": MAX_ATTEMPTS},
    connect_timeout=CONNECT_TIMEOUT,
    read_timeout=READ_TIMEOUT,
    max_pool_connections=64,
)

# "Retry later": DynamoDB is overloaded or failing, or did not answer in time.
_UNAVAILABLE_CODES = frozenset(
    {
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "RequestLimitExceeded",
        "LimitExceededException",
        "InternalServerError",
        "ServiceUnavailable",
        "TransactionConflictException",
    }
)
# "Our deployment is wrong": no retry by the client fixes these; an operator must.
_MISCONFIGURED_CODES = frozenset(
    {
        "ResourceNotFoundException",
        "AccessDeniedException",
        "UnrecognizedClientException",
        "InvalidSignatureException",
        "MissingAuthenticationTokenException",
        "IncompleteSignatureException",
        "ExpiredTokenException",
        "InvalidClientTokenId",
    }
)


class StoreError(Exception):
    """Base of the store's failures."""


class StoreUnavailable(StoreError):
    """DynamoDB is throttling, failing or too slow; the client should retry later."""


class StoreBusy(StoreUnavailable):
    """Every store slot is taken (a sick table): shed this request instead of queueing it."""


class StoreMisconfigured(StoreError):
    """The table is missing or we may not use it: an operator must act, retrying won't help."""


class StoreRejected(StoreError):
    """DynamoDB refused the request itself (e.g. ValidationException): the request is at fault."""


class UserExists(Exception):
    """A user with this user_id is already stored."""


def _to_item(user: Dict[str, str]) -> Dict[str, Dict[str, str]]:
    return {key: {"S": value} for key, value in user.items()}


def _from_item(item: Dict[str, Dict[str, Any]]) -> Dict[str, str]:
    return {key: str(value.get("S", "")) for key, value in item.items()}


def classify(exc: Exception, operation: str) -> Exception:
    """The StoreError (or UserExists) that ``exc`` from ``operation`` means."""
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        code = str(error.get("Code", ""))
        status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 500) or 500)
        message = f"DynamoDB {operation} failed: {code}"
        if code == "ConditionalCheckFailedException":
            return UserExists(operation)
        if code in _MISCONFIGURED_CODES:
            return StoreMisconfigured(message)
        if code in _UNAVAILABLE_CODES or status >= 500:
            return StoreUnavailable(message)
        return StoreRejected(message)
    if isinstance(exc, ParamValidationError):
        return StoreRejected(f"DynamoDB {operation} refused by the SDK: parameter validation")
    if isinstance(exc, (NoCredentialsError, PartialCredentialsError, NoRegionError)):
        return StoreMisconfigured(f"DynamoDB {operation} failed: {type(exc).__name__}")
    if isinstance(exc, BotoCoreError):
        # Connect/read timeouts, connection refused or reset, endpoint unreachable.
        return StoreUnavailable(f"DynamoDB {operation} failed: {type(exc).__name__}")
    return exc


class UserStore:
    """Users in one DynamoDB table with partition key ``user_id`` (S).

    ``concurrency`` bounds the calls in flight at once: with a sick table each call may take
    WORST_CASE_SECONDS, and without a bound every server thread would wait on DynamoDB while
    health checks queue behind them. A call waits at most ``slot_wait`` seconds for a free slot
    (a burst against a healthy table frees one in milliseconds), then fails fast (StoreBusy).
    """

    def __init__(
        self, table: str, client: Any = None, concurrency: int = 0, slot_wait: float = 0.25
    ) -> None:
        self.table = table
        # The client reads region, credentials and AWS_ENDPOINT_URL from the standard env.
        self.client = (
            client if client is not None else boto3.client("dynamodb", config=CLIENT_CONFIG)
        )
        self._slots: Optional[threading.BoundedSemaphore] = (
            threading.BoundedSemaphore(concurrency) if concurrency > 0 else None
        )
        self.slot_wait = slot_wait
        # The last configuration fault seen, cleared by the next call that succeeds.
        self.fault: Optional[str] = None

    def _call(self, operation: str, clears_fault: bool = True, **kwargs: Any) -> Dict[str, Any]:
        if self._slots is not None and not self._slots.acquire(timeout=self.slot_wait):
            raise StoreBusy(f"DynamoDB {operation}: all store slots busy")
        try:
            response: Dict[str, Any] = getattr(self.client, operation)(**kwargs)
        except (ClientError, BotoCoreError) as exc:
            mapped = classify(exc, operation)
            if isinstance(mapped, StoreMisconfigured):
                self.fault = str(mapped)
            elif isinstance(mapped, (StoreRejected, UserExists)) and clears_fault:
                self.fault = None  # DynamoDB answered about the request: the table is usable
            raise mapped from exc
        finally:
            if self._slots is not None:
                self._slots.release()
        if clears_fault:
            self.fault = None
        return response

    def create(self, user: Dict[str, str]) -> Dict[str, str]:
        """Store a new user; never overwrites (the put is conditional, so nothing half-written)."""
        try:
            self._call(
                "put_item",
                TableName=self.table,
                Item=_to_item(user),
                ConditionExpression="attribute_not_exists(user_id)",
            )
        except UserExists:
            raise UserExists(user["user_id"]) from None
        return user

    def get(self, user_id: str) -> Optional[Dict[str, str]]:
        response = self._call(
            "get_item", TableName=self.table, Key={"user_id": {"S": user_id}}, ConsistentRead=True
        )
        item = response.get("Item")
        return _from_item(item) if item else None

    def ping(self) -> None:
        """Raise a StoreError unless the table answers (readiness).

        DescribeTable succeeding does not clear a fault seen on item calls: a task role that may
        describe the table but not write it is still misconfigured.
        """
        self._call("describe_table", clears_fault=False, TableName=self.table)
