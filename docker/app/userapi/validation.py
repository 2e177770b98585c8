"""Validation of client input. Pure functions, no Flask, no AWS."""

from __future__ import annotations

import re
import uuid
from typing import Any, Dict

NAME_MAX = 200
EMAIL_MAX = 254
USER_ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$")
# Deliberately simple: one @, a dot in the domain, no spaces. Deliverability is not our job.
EMAIL_PATTERN = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s.]{2,}$")
ALLOWED_FIELDS = frozenset({"user_id", "name", "email"})


class ValidationError(ValueError):
    """The request body or query is not acceptable; the message says why."""


def validate_user_id(user_id: Any) -> str:
    if not isinstance(user_id, str) or not USER_ID_PATTERN.match(user_id):
        raise ValidationError(
            "user_id must be 1-128 characters of letters, digits, '_', '.', ':' or '-'"
        )
    return user_id


def validate_new_user(body: Any) -> Dict[str, str]:
    """Return the user to store (with a generated user_id when absent) or raise."""
    if not isinstance(body, dict):
        raise ValidationError("body must be a JSON object")
    unknown = sorted(set(body) - ALLOWED_FIELDS)
    if unknown:
        raise ValidationError(f"unknown field(s): {', '.join(unknown)}")
    name = body.get("name")
    if not isinstance(name, str) or not name.strip() or len(name) > NAME_MAX:
        raise ValidationError(f"name must be a non-empty string of at most {NAME_MAX} characters")
    email = body.get("email")
    if not isinstance(email, str) or len(email) > EMAIL_MAX or not EMAIL_PATTERN.match(email):
        raise ValidationError("email must be a valid address of at most 254 characters")
    # Absent means "generate one"; an explicit null is a client bug, not a request for one.
    user_id = validate_user_id(body["user_id"]) if "user_id" in body else str(uuid.uuid4())
    return {"user_id": user_id, "name": name, "email": email}


def parse_limit(raw: Any, default: int = 25) -> int:
    if raw is None:
        return default
    try:
        limit = int(raw)
    except (TypeError, ValueError):
        raise ValidationError("limit must be an integer between 1 and 100") from None
    if not 1 <= limit <= 100:
        raise ValidationError("limit must be an integer between 1 and 100")
    return limit
