"""The local AWS stand-in itself: real HTTP, reset, standard env only."""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Callable, Dict, Iterator

import boto3
import pytest
from botocore.config import Config

from tests.support.localaws import MotoServer, refused_port, stop_group
from tests.support.moto_serial import Serialized


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


def test_serialized_server_answers_parallel_clients_one_request_at_a_time(tmp_path: Path) -> None:
    """The e2e's moto (tests/support/moto_serial.py): same AWS API through the standard env,
    and no two requests inside moto at once, however many clients call in parallel."""
    with MotoServer(serialized=True, log_path=tmp_path / "moto.log") as server:
        ec2 = boto3.client(
            "ec2",
            endpoint_url=server.endpoint,
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            config=Config(retries={"max_attempts": 1}, max_pool_connections=16),
        )
        vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
        group = ec2.create_security_group(GroupName="g", Description="d", VpcId=vpc)["GroupId"]

        def allow(n: int) -> None:
            ec2.authorize_security_group_egress(
                GroupId=group,
                IpPermissions=[
                    {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443,
                     "IpRanges": [{"CidrIp": f"10.0.{n}.0/24"}]}
                ],
            )  # fmt: skip

        with ThreadPoolExecutor(8) as pool:
            list(pool.map(allow, range(24)))
        rules = ec2.describe_security_group_rules(
            Filters=[{"Name": "group-id", "Values": [group]}]
        )["SecurityGroupRules"]
        assert sorted(r["CidrIpv4"] for r in rules if r["IsEgress"] and r.get("FromPort") == 443) \
            == sorted(f"10.0.{n}.0/24" for n in range(24))  # fmt: skip


def test_serialized_middleware_never_overlaps_requests() -> None:
    inside = 0
    most = 0
    guard = threading.Lock()

    def app(environ: Dict[str, Any], start_response: Callable[..., Any]) -> Iterator[bytes]:
        nonlocal inside, most
        with guard:
            inside += 1
            most = max(most, inside)
        time.sleep(0.01)
        start_response("200 OK", [])
        yield b"body rendered "  # a lazily rendered body is read out under the lock too
        time.sleep(0.01)
        with guard:
            inside -= 1
        yield b"late"

    wrapped = Serialized(app)
    with ThreadPoolExecutor(8) as pool:
        bodies = list(pool.map(lambda _: wrapped({}, lambda *a: None), range(32)))
    assert most == 1
    assert bodies == [[b"body rendered late"]] * 32


def test_a_refused_port_refuses_connections_and_cannot_be_taken_while_held() -> None:
    with refused_port() as port:
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", port), timeout=5).close()
        with socket.socket() as other, pytest.raises(OSError):
            other.bind(("127.0.0.1", port))


@pytest.mark.skipif(
    not Path("/proc/self/stat").exists(), reason="tells a zombie from a live process by /proc"
)
def test_stop_group_stops_what_the_server_spawned_and_kills_what_ignores_sigterm() -> None:
    # A launcher (like npx or a shell) whose child outlives a SIGTERM to the launcher alone, and
    # ignores SIGTERM itself: stopping must reach the child, and not wait on it forever.
    script = (
        "import signal, subprocess, sys, time\n"
        "child = subprocess.Popen([sys.executable, '-c', "
        "'import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); print(flush=True); "
        "time.sleep(60)'], stdout=subprocess.PIPE)\n"
        "child.stdout.readline()\n"
        "print(child.pid, flush=True)\n"
        "time.sleep(60)\n"
    )
    process = subprocess.Popen(
        [sys.executable, "-c", script], stdout=subprocess.PIPE, start_new_session=True
    )
    assert process.stdout is not None
    child_pid = int(process.stdout.readline())
    started = time.monotonic()
    stop_group(process, grace=1.0)
    took = time.monotonic() - started
    assert process.returncode is not None
    deadline = time.monotonic() + 5
    while _alive(child_pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(child_pid), "the spawned child survived stop_group"
    assert took < 4, f"stop_group took {took:.1f} s with a 1 s grace"
    process.stdout.close()


def _alive(pid: int) -> bool:
    """True while `pid` exists and is not a zombie: a killed orphan is init's to reap, and this
    machine's init never does, so "the PID still exists" would not mean "still running"."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(")")[-1].split()[0] != "Z"
    except FileNotFoundError:
        return False
