"""The only place that creates boto3 sessions and clients, and turns botocore errors into ours.

Everything honours the standard AWS configuration exactly as the AWS CLI does: ``--profile`` or
``AWS_PROFILE``, the credentials chain, ``AWS_ENDPOINT_URL``/``AWS_ENDPOINT_URL_EC2``, and
``AWS_MAX_ATTEMPTS``/``AWS_RETRY_MODE``. No endpoint is ever written here.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from typing import Any, Dict, Optional

import boto3
import botocore.exceptions as bce
from botocore.config import Config
from botocore.parsers import DEFAULT_TIMESTAMP_PARSER, ResponseParserError

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
    "UnauthorizedException",  # the SSO portal's answer to an expired or revoked token
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


# EC2 (query protocol) sends every timestamp as 2024-05-01T09:30:00.000Z.
_EC2_TIMESTAMP = re.compile(r"(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)\.(\d{3})Z\Z")


def parse_timestamp(value: Any) -> Any:
    """botocore's timestamp parser with a fast path for the one form EC2 sends.

    botocore hands every timestamp to dateutil, ~0.1 ms each: a page of 1,000 instances and
    their volumes holds thousands, and parsing them was a third of the audit's CPU time (what
    limits a concurrent audit of many scopes in one process). The result is the same aware
    UTC datetime; anything else goes to botocore's own parser.
    """
    match = _EC2_TIMESTAMP.match(value) if isinstance(value, str) else None
    if match is None:
        return DEFAULT_TIMESTAMP_PARSER(value)
    year, month, day, hour, minute, second, millis = (int(g) for g in match.groups())
    return dt.datetime(
        year, month, day, hour, minute, second, millis * 1000, tzinfo=dt.timezone.utc
    )


def tune(session: boto3.session.Session) -> boto3.session.Session:
    """Install the fast timestamp parser (botocore's hook, the one the AWS CLI uses)."""
    factory = session._session.get_component("response_parser_factory")
    factory.set_parser_defaults(timestamp_parser=parse_timestamp)
    return session


def make_session(profile: Optional[str] = None) -> boto3.session.Session:
    """A boto3 session from ``--profile`` (or the environment when ``None``)."""
    try:
        return tune(boto3.session.Session(profile_name=profile))
    except bce.ProfileNotFound as exc:
        raise CredentialsError(
            f"AWS profile {profile!r} not found: check --profile/AWS_PROFILE against "
            "~/.aws/config (aws configure list-profiles)"
        ) from exc


def _user_set(session: boto3.session.Session, name: str) -> bool:
    """Whether the user chose ``name`` (environment variable or profile), not botocore's default.

    ``get_config_variable("retry_mode")`` is never None: botocore answers its own default,
    ``legacy`` (even when asked for the env and config methods only), so the environment
    variables and the profile botocore would read are asked directly.
    """
    core = session._session
    config_name, env_vars, _default, _cast = core.session_var_map[name]
    names = [env_vars] if isinstance(env_vars, str) else list(env_vars or [])
    if any(os.environ.get(var) for var in names):
        return True
    return bool(config_name and core.get_scoped_config().get(config_name))


def retry_config(session: boto3.session.Session) -> Config:
    """Client config: standard retries and bounded timeouts unless the user set their own.

    A Config object beats the environment in botocore, so only what the user did not set through
    AWS_RETRY_MODE/AWS_MAX_ATTEMPTS (or the profile) is filled in here.
    """
    retries: Dict[str, Any] = {}
    if not _user_set(session, "retry_mode"):
        retries["mode"] = DEFAULT_RETRY_MODE
    if not _user_set(session, "max_attempts"):
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
    return untyped.client(service, region_name=region, config=retry_config(session))


def check_credentials(session: boto3.session.Session, region: str) -> Dict[str, str]:
    """Fail early, before any scan, when the credentials chain finds nothing usable.

    Resolving the credentials runs the whole chain (an SSO profile's cached token included:
    botocore defers that to first use), then sts:GetCallerIdentity (allowed for every
    principal, no policy needed) proves AWS takes them and names the account audited.
    """
    try:
        credentials = session.get_credentials()
        if credentials is not None:
            credentials.get_frozen_credentials()
    except Exception as exc:
        raise translate(exc, "sts", region) from exc
    if credentials is None:
        raise CredentialsError(
            "no AWS credentials found: pass --profile, set AWS_PROFILE or "
            "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, or run with an instance/task role"
        )
    try:
        identity = make_client(session, "sts", region).get_caller_identity()
    except Exception as exc:
        raise translate(exc, "sts", region) from exc
    return {"Account": str(identity["Account"]), "Arn": str(identity.get("Arn", ""))}


def translate(exc: BaseException, service: str, region: str, account: str = "") -> AuditError:
    """Map any botocore failure to one of our exit classes with a one-line message and a fix."""
    if isinstance(exc, AuditError):
        return exc
    where = f"in {region}" + (f" of account {account}" if account else "")
    if isinstance(exc, bce.ClientError):
        error = exc.response.get("Error", {})
        code = str(error.get("Code", "Unknown"))
        message = " ".join(str(error.get("Message", "")).split())[:200]
        action = f"{service}:{exc.operation_name}"
        detail = f"{code}: {message}" if message else code
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        # An HTTP 403 whose body botocore could not read (the code is then the bare status):
        # still a refusal. moto answers Organizations' denials in XML to a JSON client.
        denied = code in _ACCESS_DENIED_CODES or (code == "403" and status == 403)
        if code in _CREDENTIAL_CODES:
            return CredentialsError(
                f"AWS rejected the credentials calling {action} {where} ({detail}): "
                "refresh or replace them (aws sts get-caller-identity to check)"
            )
        if code == "AWSOrganizationsNotInUseException":
            return UsageError(
                f"--org: the account of these credentials is not a member of an organization "
                f"({code}): name the accounts with --accounts, or drop --org"
            )
        if denied and action == "sts:AssumeRole":
            return AccessDeniedError(
                f"cannot assume the audit role{' in account ' + account if account else ''} "
                f"({detail}): the role must exist there, trust the caller (and --external-id), "
                "and the caller needs sts:AssumeRole on it (see auditscript/README.md)"
            )
        if denied and service == "organizations":
            return AccessDeniedError(
                f"access denied calling {action} ({detail}): run --org from the management "
                "account or a delegated administrator with organizations:ListAccounts "
                "(see auditscript/README.md)"
            )
        if denied and "service control policy" in message:
            return AccessDeniedError(
                f"{action} {where} is denied by a service control policy of the organization "
                f"({detail}): leave the region out, or exempt the audit role in the SCP"
            )
        if denied:
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
    if isinstance(exc, (bce.SSOError, bce.TokenRetrievalError)):
        return CredentialsError(
            f"the AWS SSO session is missing or expired ({_short(exc)}): run "
            "aws sso login (with the same --profile), then run the audit again"
        )
    if isinstance(exc, (bce.CredentialRetrievalError, bce.RefreshWithMFAUnsupportedError)):
        return CredentialsError(
            f"AWS credentials could not be loaded ({_short(exc)}): log in again or fix the profile"
        )
    if isinstance(exc, bce.ProfileNotFound):
        return CredentialsError(
            f"{_short(exc)}: check --profile/AWS_PROFILE against ~/.aws/config "
            "(aws configure list-profiles)"
        )
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


def _short(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:300]
