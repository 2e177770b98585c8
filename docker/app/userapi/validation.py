"""Validation of client input. Pure functions, no Flask, no AWS.

Everything a client sends is checked here before it can reach DynamoDB, so a request the store
would refuse (or store in a form nobody can read back safely) is a clear 400 instead.
"""

from __future__ import annotations

import json
import re
import unicodedata
import uuid
from typing import Any, Dict, List, Tuple

NAME_MAX = 200
EMAIL_MAX = 254
USER_ID_MAX = 128
# fullmatch, never match + `$`: `$` also matches before a trailing newline ("abc\n").
USER_ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}", re.ASCII)
# Deliberately simple: one @, a dot in the domain, no spaces. Deliverability is not our job.
EMAIL_PATTERN = re.compile(r"[^@\s]{1,64}@[^@\s]+\.[^@\s.]{2,}")
ALLOWED_FIELDS = frozenset({"user_id", "name", "email"})

# Unicode categories refused anywhere: controls (Cc: NUL, newline, ESC...) and surrogates (Cs: a
# lone one cannot be encoded as UTF-8, so DynamoDB could not store it). openapi.json says the
# same as a pattern, so schemathesis generates only what we accept.
_NEVER = frozenset({"Cc", "Cs"})
# Emails are also refused format characters (Cf: zero-width and bidi controls, which make two
# addresses look alike), private use (Co) and any separator (Zs, Zl, Zp).
_NEVER_IN_EMAIL = _NEVER | {"Cf", "Co", "Zs", "Zl", "Zp"}
# Names may need Cf (ZWJ/ZWNJ are part of some scripts), but not the bidi overrides and isolates
# that reorder displayed text, nor line and paragraph separators.
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_NEVER_IN_NAME = _NEVER | {"Zl", "Zp"}


class ValidationError(ValueError):
    """The request body or query is not acceptable; the message says why."""


def _has_category(text: str, categories: frozenset) -> bool:
    return any(unicodedata.category(char) in categories for char in text)


def validate_user_id(user_id: Any) -> str:
    if not isinstance(user_id, str) or not USER_ID_PATTERN.fullmatch(user_id):
        raise ValidationError(
            "user_id must be 1-128 characters of letters, digits, '_', '.', ':' or '-'"
        )
    return user_id


def validate_name(name: Any) -> str:
    message = f"name must be a non-empty string of at most {NAME_MAX} characters"
    if not isinstance(name, str) or not name.strip() or len(name) > NAME_MAX:
        raise ValidationError(message)
    if _has_category(name, _NEVER_IN_NAME) or any(char in _BIDI_CONTROLS for char in name):
        raise ValidationError("name must not contain control, surrogate or bidi characters")
    return name


def validate_email(email: Any) -> str:
    if (
        not isinstance(email, str)
        or len(email) > EMAIL_MAX
        or _has_category(email, _NEVER_IN_EMAIL)
        or not EMAIL_PATTERN.fullmatch(email)
    ):
        raise ValidationError(f"email must be a valid address of at most {EMAIL_MAX} characters")
    return email


def validate_new_user(body: Any) -> Dict[str, str]:
    """Return the user to store (with a generated user_id when absent) or raise."""
    if not isinstance(body, dict):
        raise ValidationError("body must be a JSON object")
    unknown = sorted(set(body) - ALLOWED_FIELDS)
    if unknown:
        # Field names are client text too: show them escaped, cut short.
        shown = ", ".join(json.dumps(key)[:40] for key in unknown[:5])
        raise ValidationError(f"unknown field(s): {shown}")
    name = validate_name(body.get("name"))
    email = validate_email(body.get("email"))
    # Absent means "generate one"; an explicit null is a client bug, not a request for one.
    user_id = validate_user_id(body["user_id"]) if "user_id" in body else str(uuid.uuid4())
    return {"user_id": user_id, "name": name, "email": email}


def _reject_duplicates(pairs: List[Tuple[str, Any]]) -> Dict[str, Any]:
    result: Dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            # Which of two values wins differs between parsers: refuse rather than guess.
            raise ValidationError("body has a duplicate key")
        result[key] = value
    return result


def _reject_constant(name: str) -> Any:
    raise ValidationError(f"body is not valid JSON ({name} is not a JSON number)")


def parse_json_body(raw: bytes) -> Any:
    """Strict JSON: UTF-8 only, no duplicate keys, no NaN/Infinity, bounded nesting."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ValidationError("body is not valid UTF-8") from None
    try:
        return json.loads(
            text, object_pairs_hook=_reject_duplicates, parse_constant=_reject_constant
        )
    except RecursionError:
        # 60 000 '[' would exhaust the parser's stack; nothing we accept nests at all.
        raise ValidationError("body is nested too deeply") from None
    except ValidationError:
        raise
    except ValueError:
        # json.JSONDecodeError, and int() refusing a number with too many digits.
        raise ValidationError("body is not valid JSON") from None
