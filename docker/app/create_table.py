"""Create the users table if it does not exist (local stand-ins only; Terraform owns it in AWS).

Usage: python create_table.py [TABLE]   (default: $USERS_TABLE or "users")
"""

from __future__ import annotations

import os
import sys

import boto3


def ensure_table(name: str) -> bool:
    """Create ``name`` with partition key user_id (S), on demand. Returns True if it was created."""
    client = boto3.client("dynamodb")
    try:
        client.describe_table(TableName=name)
        return False
    except client.exceptions.ResourceNotFoundException:
        pass
    client.create_table(
        TableName=name,
        AttributeDefinitions=[{"AttributeName": "user_id", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "user_id", "KeyType": "HASH"}],
        BillingMode="PAY_PER_REQUEST",
        SSESpecification={"Enabled": True},
    )
    # The waiter's default is a 20 s poll: a local DynamoDB makes the table in well under a second,
    # so poll every second (for up to a minute) or a fresh stack waits 20 s for nothing.
    client.get_waiter("table_exists").wait(
        TableName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 60}
    )
    return True


if __name__ == "__main__":
    table = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("USERS_TABLE", "users")
    created = ensure_table(table)
    print(f"table {table}: {'created' if created else 'already exists'}")
