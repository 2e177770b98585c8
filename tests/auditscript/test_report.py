"""The atomic write and the error mapping, without AWS."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator

import botocore.exceptions as bce
import pytest
from ec2audit import aws, errors
from ec2audit.collect import Row
from ec2audit.report import write_atomic, write_csv

pytestmark = pytest.mark.py38

ROW = Row(
    "us-east-1",
    "i-1",
    "2024-05-01T09:30:00Z",
    "t3.micro",
    8,
    "running",
    "web",
    "us-east-1a",
    8,
    0,
    1,
    "2024-04-01T00:00:00Z",
)


def _rows_then_crash() -> Iterator[Row]:
    yield ROW
    raise RuntimeError("connection lost half-way")


def test_failure_mid_write_leaves_old_file_and_no_temp(tmp_path: Path) -> None:
    out = tmp_path / "report.csv"
    out.write_text("old report\n")
    with pytest.raises(RuntimeError):
        write_atomic(str(out), "csv", _rows_then_crash())
    assert out.read_text() == "old report\n"
    assert [p.name for p in tmp_path.iterdir()] == ["report.csv"]


def test_new_file_written_whole(tmp_path: Path) -> None:
    out = tmp_path / "report.csv"
    write_atomic(str(out), "csv", [ROW])
    assert out.read_text().splitlines()[1].startswith("i-1,2024-05-01T09:30:00Z,t3.micro,8,")


@pytest.mark.parametrize("name", ["=HYPERLINK(1)", "+1", "-1", "@SUM(A1)"])
def test_csv_defuses_spreadsheet_formulas_in_names(tmp_path: Path, name: str) -> None:
    out = tmp_path / "r.csv"
    with open(out, "w", newline="") as handle:
        write_csv(handle, [ROW._replace(name=name)])
    assert f",'{name}," in out.read_text()


def _client_error(code: str, status: int = 400) -> bce.ClientError:
    response: Any = {
        "Error": {"Code": code, "Message": "m"},
        "ResponseMetadata": {"HTTPStatusCode": status, "RetryAttempts": 5},
    }
    return bce.ClientError(response, "DescribeInstances")


@pytest.mark.parametrize(
    ("exc", "exit_code"),
    [
        (_client_error("AuthFailure"), errors.EXIT_CREDENTIALS),
        (_client_error("ExpiredToken"), errors.EXIT_CREDENTIALS),
        (bce.NoCredentialsError(), errors.EXIT_CREDENTIALS),
        (_client_error("UnauthorizedOperation"), errors.EXIT_ACCESS_DENIED),
        (_client_error("AccessDenied"), errors.EXIT_ACCESS_DENIED),
        (_client_error("OptInRequired"), errors.EXIT_REGION),
        (_client_error("RequestLimitExceeded"), errors.EXIT_UNAVAILABLE),
        (_client_error("ServiceUnavailable", 503), errors.EXIT_UNAVAILABLE),
        (bce.EndpointConnectionError(endpoint_url="https://ec2.x"), errors.EXIT_UNAVAILABLE),
        (bce.ReadTimeoutError(endpoint_url="https://ec2.x"), errors.EXIT_UNAVAILABLE),
        (_client_error("SomethingNew"), errors.EXIT_INTERNAL),
        (ValueError("bug"), errors.EXIT_INTERNAL),
    ],
)
def test_every_botocore_failure_maps_to_one_line_and_a_class(
    exc: BaseException, exit_code: int
) -> None:
    translated = aws.translate(exc, "ec2", "us-east-1")
    assert translated.exit_code == exit_code
    assert "\n" not in str(translated)
    if exit_code not in (errors.EXIT_CREDENTIALS, errors.EXIT_INTERNAL):
        assert "us-east-1" in str(translated)


def test_throttle_message_counts_attempts() -> None:
    message = str(aws.translate(_client_error("Throttling"), "ec2", "eu-west-1"))
    assert "ec2:DescribeInstances" in message and "6 attempts" in message
