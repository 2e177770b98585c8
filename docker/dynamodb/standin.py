"""Local DynamoDB stand-in: moto's server with the service's tables already created.

    python standin.py serve    serve DynamoDB on 0.0.0.0:$PORT (8000), create $TABLES, run until
                               SIGTERM/SIGINT
    python standin.py check    exit 0 when every table in $TABLES is ACTIVE (the healthcheck)
    python standin.py create   create $TABLES on $AWS_ENDPOINT_URL and exit (one-shot init, used
                               when amazon/dynamodb-local replaces this stand-in)

Environment: PORT (8000), TABLES (comma-separated, default "users"), AWS_DEFAULT_REGION
(us-east-1). Tables get the service's schema: partition key user_id (S), on demand.
Exit codes: 0 ok, 1 not ready / failed, 2 usage.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from typing import Any, List, Optional

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

PORT = int(os.environ.get("PORT", "8000"))
REGION = os.environ.get("AWS_DEFAULT_REGION", "us-east-1")
# Fail fast: a health probe or an init container must not hang on a dead endpoint.
FAST = Config(connect_timeout=2, read_timeout=3, retries={"max_attempts": 1})


def tables() -> List[str]:
    return [name.strip() for name in os.environ.get("TABLES", "users").split(",") if name.strip()]


def client(endpoint: str) -> Any:
    # Any credentials do: moto and dynamodb-local accept them all. Real keys never get here.
    return boto3.client(
        "dynamodb",
        endpoint_url=endpoint,
        region_name=REGION,
        config=FAST,
        aws_access_key_id="local",
        aws_secret_access_key="local",  # noqa: S106 - a dummy, not a secret
    )


def ensure_tables(endpoint: str) -> None:
    dynamodb = client(endpoint)
    for name in tables():
        try:
            dynamodb.describe_table(TableName=name)
            print(f"[standin] table {name} already exists", flush=True)
            continue
        except dynamodb.exceptions.ResourceNotFoundException:
            pass
        dynamodb.create_table(
            TableName=name,
            AttributeDefinitions=[{"AttributeName": "user_id", "AttributeType": "S"}],
            KeySchema=[{"AttributeName": "user_id", "KeyType": "HASH"}],
            BillingMode="PAY_PER_REQUEST",
        )
        dynamodb.get_waiter("table_exists").wait(
            TableName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 30}
        )
        print(f"[standin] created table {name} in {REGION}", flush=True)


def wait_reachable(endpoint: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            client(endpoint).list_tables(Limit=1)
            return
        except (BotoCoreError, ClientError) as exc:
            if time.monotonic() > deadline:
                raise SystemExit(
                    f"[standin] {endpoint} not reachable after {timeout:.0f}s: {exc}"
                ) from exc
            time.sleep(0.5)


def serve() -> int:
    # Imported here so `check` and `create` stay quick and need no server code.
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="0.0.0.0", port=PORT)  # noqa: S104 - container port
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    server.start()
    endpoint = f"http://127.0.0.1:{PORT}"
    wait_reachable(endpoint, 30)
    ensure_tables(endpoint)
    print(f"[standin] DynamoDB ready on port {PORT} (region {REGION})", flush=True)
    stop.wait()
    server.stop()
    print("[standin] stopped", flush=True)
    return 0


def check() -> int:
    dynamodb = client(f"http://127.0.0.1:{PORT}")
    try:
        for name in tables():
            status = dynamodb.describe_table(TableName=name)["Table"]["TableStatus"]
            if status != "ACTIVE":
                print(f"table {name} is {status}")
                return 1
    except (BotoCoreError, ClientError) as exc:
        print(f"not ready: {exc}")
        return 1
    return 0


def create() -> int:
    endpoint = os.environ.get("AWS_ENDPOINT_URL")
    if not endpoint:
        print("create needs AWS_ENDPOINT_URL (the DynamoDB to create tables in)", file=sys.stderr)
        return 2
    wait_reachable(endpoint, 60)
    ensure_tables(endpoint)
    return 0


def main(argv: Optional[List[str]] = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    commands = {"serve": serve, "check": check, "create": create}
    if len(args) != 1 or args[0] not in commands:
        print(__doc__, file=sys.stderr)
        return 2
    return commands[args[0]]()


if __name__ == "__main__":
    sys.exit(main())
