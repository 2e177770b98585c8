"""The /user service: a small Flask API over one DynamoDB table."""

from userapi.store import (
    StoreBusy,
    StoreError,
    StoreMisconfigured,
    StoreRejected,
    StoreUnavailable,
    UserExists,
    UserStore,
)
from userapi.validation import ValidationError, parse_json_body, validate_new_user
from userapi.web import create_app

__all__ = [
    "StoreBusy",
    "StoreError",
    "StoreMisconfigured",
    "StoreRejected",
    "StoreUnavailable",
    "UserExists",
    "UserStore",
    "ValidationError",
    "create_app",
    "parse_json_body",
    "validate_new_user",
]
