"""The local AWS stand-in itself: real HTTP, reset, standard env only."""

from __future__ import annotations

import boto3

from tests.support.localaws import MotoServer


def test_clients_reach_moto_only_through_the_standard_env(aws_env: MotoServer) -> None:
    # No endpoint_url argument: the client must pick AWS_ENDPOINT_URL from the environment.
    client = boto3.client("sqs")
    client.create_queue(QueueName="probe")
    assert client.meta.endpoint_url == aws_env.endpoint
    assert any(u.endswith("/probe") for u in client.list_queues()["QueueUrls"])


def test_reset_forgets_everything(aws_env: MotoServer) -> None:
    client = boto3.client("sqs")
    client.create_queue(QueueName="gone-after-reset")
    aws_env.reset()
    assert client.list_queues().get("QueueUrls", []) == []
