"""Pure validation rules (no AWS, no HTTP)."""

from __future__ import annotations

import uuid

import pytest
from userapi.validation import ValidationError, parse_limit, validate_new_user


def test_generates_a_uuid4_when_user_id_is_absent() -> None:
    user = validate_new_user({"name": "Ada", "email": "ada@example.com"})
    assert uuid.UUID(user["user_id"]).version == 4


def test_keeps_a_given_user_id() -> None:
    user = validate_new_user({"user_id": "u-1", "name": "Ada", "email": "ada@example.com"})
    assert user == {"user_id": "u-1", "name": "Ada", "email": "ada@example.com"}


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ([], "JSON object"),
        ({"name": "A", "email": "a@example.com", "admin": True}, "unknown field(s): admin"),
        ({"email": "a@example.com"}, "name"),
        ({"name": "  ", "email": "a@example.com"}, "name"),
        ({"name": "A" * 201, "email": "a@example.com"}, "name"),
        ({"name": "A", "email": "not-an-email"}, "email"),
        ({"name": "A", "email": "a@b"}, "email"),
        ({"name": "A", "email": "a" * 250 + "@example.com"}, "email"),
        ({"name": "A", "email": 5}, "email"),
        ({"user_id": "", "name": "A", "email": "a@example.com"}, "user_id"),
        ({"user_id": "has space", "name": "A", "email": "a@example.com"}, "user_id"),
        ({"user_id": 7, "name": "A", "email": "a@example.com"}, "user_id"),
        ({"user_id": None, "name": "A", "email": "a@example.com"}, "user_id"),
        ({"user_id": "x" * 129, "name": "A", "email": "a@example.com"}, "user_id"),
    ],
)
def test_rejects_invalid_users(body: object, message: str) -> None:
    with pytest.raises(ValidationError, match=message.replace("(", r"\(").replace(")", r"\)")):
        validate_new_user(body)


@pytest.mark.parametrize("raw", ["0", "101", "-1", "ten", "1.5"])
def test_limit_must_be_1_to_100(raw: str) -> None:
    with pytest.raises(ValidationError):
        parse_limit(raw)


def test_limit_defaults_and_bounds() -> None:
    assert parse_limit(None) == 25
    assert parse_limit("1") == 1
    assert parse_limit("100") == 100


def test_unwritable_log_dir_falls_back_to_stdout(tmp_path, capsys) -> None:
    from userapi.logs import configure

    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the log folder should be")
    log = configure(str(blocker / "app"))
    log.info("still logging")
    out = capsys.readouterr().out
    assert '"message":"log file disabled"' in out
    assert '"message":"still logging"' in out
