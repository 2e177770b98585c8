"""Validation rules (no AWS, no HTTP): examples, then properties checked by hypothesis."""

from __future__ import annotations

import contextlib
import json
import unicodedata
import uuid

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from userapi.validation import (
    EMAIL_MAX,
    NAME_MAX,
    ValidationError,
    parse_json_body,
    validate_new_user,
)

pytestmark = pytest.mark.py38

VALID_ID = st.from_regex(r"\A[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}\Z")
# Printable names from any script (letters, marks, numbers, punctuation, symbols, spaces).
NAME = st.text(
    st.characters(whitelist_categories=("L", "M", "N", "P", "S", "Zs")),
    min_size=1,
    max_size=NAME_MAX,
).filter(lambda s: s.strip() != "")
EMAIL = st.builds(
    "{}@{}.{}".format,
    st.from_regex(r"\A[a-z0-9._+-]{1,64}\Z"),
    st.from_regex(r"\A[a-z0-9-]{1,60}\Z"),
    st.from_regex(r"\A[a-z]{2,10}\Z"),
)
JSON_SCALARS = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text()
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=10,
)


def test_generates_a_uuid4_when_user_id_is_absent() -> None:
    user = validate_new_user({"name": "Ada", "email": "ada@example.com"})
    assert uuid.UUID(user["user_id"]).version == 4


def test_keeps_a_given_user_id() -> None:
    user = validate_new_user({"user_id": "u-1", "name": "Ada", "email": "ada@example.com"})
    assert user == {"user_id": "u-1", "name": "Ada", "email": "ada@example.com"}


OK = {"name": "A", "email": "a@example.com"}


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ([], "JSON object"),
        ({**OK, "admin": True}, 'unknown field(s): "admin"'),
        ({"email": "a@example.com"}, "name"),
        ({"name": "  ", "email": "a@example.com"}, "name"),
        ({"name": "A" * 201, "email": "a@example.com"}, "name"),
        ({"name": "a\u0000b", "email": "a@example.com"}, "control"),
        ({"name": "a\nb", "email": "a@example.com"}, "control"),
        ({"name": "\ud800", "email": "a@example.com"}, "surrogate"),
        ({"name": "abc\u202egnp.exe", "email": "a@example.com"}, "bidi"),
        ({"name": "A", "email": "not-an-email"}, "email"),
        ({"name": "A", "email": "a@b"}, "email"),
        ({"name": "A", "email": "a@example.com\n"}, "email"),
        ({"name": "A", "email": "a\u200b@example.com"}, "email"),
        ({"name": "A", "email": "a\u00a0b@example.com"}, "email"),
        ({"name": "A", "email": "a" * 250 + "@example.com"}, "email"),
        ({"name": "A", "email": 5}, "email"),
        ({**OK, "user_id": ""}, "user_id"),
        ({**OK, "user_id": "abc\n"}, "user_id"),
        ({**OK, "user_id": "has space"}, "user_id"),
        ({**OK, "user_id": "\u0661\u0662"}, "user_id"),  # Arabic-Indic digits: \d, not [0-9]
        ({**OK, "user_id": 7}, "user_id"),
        ({**OK, "user_id": None}, "user_id"),
        ({**OK, "user_id": "x" * 129}, "user_id"),
    ],
)
def test_rejects_invalid_users(body: object, message: str) -> None:
    with pytest.raises(ValidationError) as raised:
        validate_new_user(body)
    assert message in str(raised.value)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"[" * 60000, "nested too deeply"),
        (b'{"a":' * 30000, "nested too deeply"),
        (b'{"name": "\xff"}', "UTF-8"),
        ('{"name": "a"}'.encode("utf-16"), "UTF-8"),
        (b'\xef\xbb\xbf{"name": "a"}', "valid JSON"),
        (b'{"name": "a", "name": "b"}', "duplicate key"),
        (b'{"name": NaN}', "NaN"),
        (b'{"name": -Infinity}', "Infinity"),
        (b"", "valid JSON"),
        (b'{"name": ', "valid JSON"),
    ],
)
def test_strict_json(raw: bytes, message: str) -> None:
    with pytest.raises(ValidationError) as raised:
        parse_json_body(raw)
    assert message in str(raised.value)


def test_error_messages_do_not_echo_raw_client_text() -> None:
    with pytest.raises(ValidationError) as raised:
        validate_new_user({**OK, "x\r\nSet-Cookie: a=b" * 20: 1})
    assert "\r" not in str(raised.value) and "\n" not in str(raised.value)
    assert len(str(raised.value)) < 300


############################################################
# Properties
############################################################


@given(user_id=VALID_ID, name=NAME, email=EMAIL)
@settings(max_examples=300, deadline=None)
def test_every_valid_user_is_accepted_unchanged(user_id: str, name: str, email: str) -> None:
    body = {"user_id": user_id, "name": name, "email": email}
    assert validate_new_user(json.loads(json.dumps(body))) == body


@given(body=JSON_VALUES)
@settings(max_examples=500, deadline=None)
def test_anything_else_is_refused_or_safe_to_store(body: object) -> None:
    """Any JSON value is either refused with ValidationError or yields a user DynamoDB accepts."""
    try:
        user = validate_new_user(body)
    except ValidationError:
        return
    assert set(user) == {"user_id", "name", "email"}
    for value in user.values():
        value.encode("utf-8")  # no lone surrogate: DynamoDB strings are UTF-8
        assert not any(unicodedata.category(c) == "Cc" for c in value)
    assert 1 <= len(user["user_id"]) <= 128 and user["user_id"].isascii()
    assert len(user["email"]) <= EMAIL_MAX and len(user["name"]) <= NAME_MAX


@given(raw=st.binary(max_size=200) | JSON_VALUES.map(lambda v: json.dumps(v).encode()))
@settings(max_examples=500, deadline=None)
def test_parsing_any_bytes_raises_only_validation_error(raw: bytes) -> None:
    with contextlib.suppress(ValidationError):
        parse_json_body(raw)


def test_unwritable_log_dir_falls_back_to_stdout(tmp_path, capsys) -> None:
    from userapi.logs import configure

    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the log folder should be")
    log = configure(str(blocker / "app"))
    log.info("still logging")
    out = capsys.readouterr().out
    assert '"message":"log file disabled"' in out
    assert '"message":"still logging"' in out
