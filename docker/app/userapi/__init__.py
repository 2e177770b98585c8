"""The /user service: a small Flask API over one DynamoDB table."""

from userapi.store import StoreUnavailable, UserExists, UserStore
from userapi.validation import ValidationError, validate_new_user
from userapi.web import create_app

__all__ = [
    "StoreUnavailable",
    "UserExists",
    "UserStore",
    "ValidationError",
    "create_app",
    "validate_new_user",
]
