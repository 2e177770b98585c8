"""The only place that creates boto3 sessions and clients, and turns botocore errors into ours.

Everything honours the standard AWS configuration exactly as the AWS CLI does: ``--profile`` or
``AWS_PROFILE``, the credentials chain, ``AWS_ENDPOINT_URL``/``AWS_ENDPOINT_URL_EC2``, and
``AWS_MAX_ATTEMPTS``/``AWS_RETRY_MODE``. No endpoint is ever written here.
"""

from __future__ import annotations

from typing import Any, Optional

import boto3
import botocore.exceptions as bce
from botocore.config import Config
from botocore.parsers import ResponseParserError

from .errors import (
    AccessDeniedError,
    AuditError,
    CredentialsError,
    RegionError,
    UnavailableError,
    UsageError,
)

# Bounded retries: standard mode backs off with jitter (capped at 20 s a try), so one call gives
# up after at most DEFAULT_MAX_ATTEMPTS tries of CONNECT_TIMEOUT/READ_TIMEOUT each plus backoff
# (about two minutes in the worst case) instead of hanging a cron job.
DEFAULT_RETRY_MODE = "standard"
DEFAULT_MAX_ATTEMPTS = 6
CONNECT_TIMEOUT = 5
READ_TIMEOUT = 60
# Threads share a client per region; enough pooled connections for them.
MAX_POOL_CONNECTIONS = 16

REQUIRED_ACTIONS = (
    "ec2:DescribeInstances",
    "ec2:DescribeVolumes",
    "ec2:DescribeInstanceTypes",
    "ec2:DescribeRegions",
)

_CREDENTIAL_CODES = {
    "AuthFailure",
    "InvalidClientTokenId",
    "UnrecognizedClientException",
    "SignatureDoesNotMatch",
    "ExpiredToken",
    "ExpiredTokenException",
    "RequestExpired",
    "InvalidAccessKeyId",
    "InvalidToken",
}
_ACCESS_DENIED_CODES = {
    "UnauthorizedOperation",
    "AccessDenied",
    "AccessDeniedException",
    "Forbidden",
}
_REGION_CODES = {"OptInRequired", "InvalidRegion"}
_THROTTLE_CODES = {
    "RequestLimitExceeded",
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestThrottled",
    "RequestThrottledException",
    "TooManyRequestsException",
    "SlowDown",
    "EC2ThrottledException",
}
_SERVER_CODES = {"InternalError", "InternalFailure", "ServiceUnavailable", "Unavailable"}


def make_session(profile: Optional[str] = None) -> boto3.session.Session:
    """A boto3 session from ``--profile`` (or the environment when ``None``)."""
    try:
        return boto3.session.Session(profile_name=profile)
    except bce.ProfileNotFound as exc:
        raise CredentialsError(
            f"AWS profile {profile!r} not found: check --profile/AWS_PROFILE against "
            "~/.aws/config (aws configure list-profiles)"
        ) from exc


def _retry_config(session: boto3.session.Session) -> Config:
    # A Config object beats the environment in botocore, so only fill in what the user did not
    # set through AWS_MAX_ATTEMPTS/AWS_RETRY_MODE or the profile.
    core = session._session  # the botocore session resolves env vars and profile settings
    retries: dict = {}
    if core.get_config_variable("retry_mode") is None:
        retries["mode"] = DEFAULT_RETRY_MODE
    if core.get_config_variable("max_attempts") is None:
        retries["total_max_attempts"] = DEFAULT_MAX_ATTEMPTS
    return Config(
        retries=retries or None,  # type: ignore[arg-type]
        connect_timeout=CONNECT_TIMEOUT,
        read_timeout=READ_TIMEOUT,
        max_pool_connections=MAX_POOL_CONNECTIONS,
    )


def make_client(session: boto3.session.Session, service: str, region: str) -> Any:
    """The one way this tool builds a client (tests and the bench hook in here)."""
    # boto3-stubs types client() per literal service name; ours is a plain str.
    untyped: Any = session
    return untyped.client(service, region_name=region, config=_retry_config(session))


def check_credentials(session: boto3.session.Session) -> None:
    """Fail early, before any scan, when the credentials chain finds nothing."""
    try:
        credentials = session.get_credentials()
    except (bce.CredentialRetrievalError, bce.PartialCredentialsError, bce.ProfileNotFound) as exc:
        raise CredentialsError(
            f"AWS credentials could not be loaded ({exc}): fix the profile or environment variables"
        ) from exc
    if credentials is None:
        raise CredentialsError(
            "no AWS credentials found: pass --profile, set AWS_PROFILE or "
            "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, or run with an instance/task role"
        )


def translate(exc: BaseException, service: str, region: str) -> AuditError:
    """Map any botocore failure to one of our exit classes with a one-line message and a fix."""
    if isinstance(exc, AuditError):
        return exc
    where = f"in {region}"
    if isinstance(exc, bce.ClientError):
        error = exc.response.get("Error", {})
        code = str(error.get("Code", "Unknown"))
        message = " ".join(str(error.get("Message", "")).split())[:200]
        action = f"{service}:{exc.operation_name}"
        detail = f"{code}: {message}" if message else code
        if code in _CREDENTIAL_CODES:
            return CredentialsError(
                f"AWS rejected the credentials calling {action} {where} ({detail}): "
                "refresh or replace them (aws sts get-caller-identity to check)"
            )
        if code in _ACCESS_DENIED_CODES:
            return AccessDeniedError(
                f"access denied calling {action} {where} ({detail}): grant "
                f"{', '.join(REQUIRED_ACTIONS)} (see the IAM policy in auditscript/README.md)"
            )
        if code in _REGION_CODES:
            return RegionError(
                f"region {region} refused {action} ({detail}): enable the region for the "
                "account or leave it out"
            )
        retries = exc.response.get("ResponseMetadata", {}).get("RetryAttempts", 0)
        if code in _THROTTLE_CODES:
            return UnavailableError(
                f"{action} {where} still throttled after {retries + 1} attempts ({code}): "
                "run again later, or raise AWS_MAX_ATTEMPTS / lower --max-workers"
            )
        if code in _SERVER_CODES or str(code).startswith("5"):
            return UnavailableError(
                f"{action} {where} failed on the AWS side after {retries + 1} attempts "
                f"({detail}): run again later"
            )
        return AuditError(f"{action} {where} failed ({detail})")
    if isinstance(exc, (bce.NoCredentialsError, bce.PartialCredentialsError)):
        return CredentialsError(
            f"no usable AWS credentials ({exc}): pass --profile or set AWS_ACCESS_KEY_ID/"
            "AWS_SECRET_ACCESS_KEY"
        )
    if isinstance(exc, (bce.CredentialRetrievalError, bce.TokenRetrievalError)):
        return CredentialsError(f"AWS credentials could not be loaded ({exc}): log in again")
    if isinstance(exc, bce.NoRegionError):
        return UsageError("no region: pass --region REGION or --all-regions")
    if isinstance(exc, (bce.EndpointConnectionError, bce.ConnectTimeoutError)):
        return UnavailableError(
            f"cannot reach the {service} endpoint {where} ({exc}): check the network, proxy "
            "settings and AWS_ENDPOINT_URL"
        )
    if isinstance(exc, (bce.ReadTimeoutError, bce.ConnectionClosedError)):
        return UnavailableError(
            f"the {service} endpoint {where} stopped answering ({exc}): run again later"
        )
    if isinstance(exc, ResponseParserError):
        return UnavailableError(
            f"the {service} endpoint {where} sent a response that is not AWS's (an HTTP error "
            "page?): check AWS_ENDPOINT_URL and the region name"
        )
    if isinstance(exc, (bce.SSLError, bce.ProxyConnectionError, bce.HTTPClientError)):
        return UnavailableError(f"cannot talk to the {service} endpoint {where} ({exc})")
    if isinstance(exc, bce.BotoCoreError):
        return AuditError(f"{service} {where}: {exc}")
    return AuditError(f"unexpected {type(exc).__name__} {where}: {exc}")
