"""The single place a Route 53 client is made, and where AWS errors become CouldNotCheck.

Credentials come only from the standard chain (env, profile, instance profile / IRSA) and the
endpoint only from ``AWS_ENDPOINT_URL``: the job runs on AWS with an IAM role, the tests point
the same code at a local moto server through the environment alone.
"""

from __future__ import annotations

import contextlib
from typing import Any, Iterator

import boto3
from botocore.config import Config
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    EndpointConnectionError,
    NoCredentialsError,
    NoRegionError,
    PartialCredentialsError,
)

from route53check.errors import CouldNotCheck

# Route 53 is a global service served from us-east-1; a region is still needed to sign requests.
ROUTE53_REGION = "us-east-1"
# Short connect timeout so an unreachable endpoint fails the build quickly; retries (count and
# mode) stay with botocore's own settings (AWS_MAX_ATTEMPTS / AWS_RETRY_MODE) so throttling is
# retried the standard way before we give up.
CLIENT_CONFIG = Config(connect_timeout=5, read_timeout=30)

THROTTLING_CODES = {"Throttling", "ThrottlingException", "PriorRequestNotComplete"}
ACCESS_CODES = {"AccessDenied", "AccessDeniedException", "UnauthorizedOperation"}
CREDENTIAL_CODES = {
    "InvalidClientTokenId",
    "SignatureDoesNotMatch",
    "ExpiredToken",
    "InvalidSignatureException",
}


def make_client(service: str = "route53") -> Any:
    """A client from the standard credential chain (and AWS_ENDPOINT_URL if set).

    Route 53 is signed for us-east-1; other services (CloudWatch for the heartbeat) use the
    agent's configured region, falling back to us-east-1.
    """
    session: Any = boto3.session.Session()  # Any: the stubs overload client() per literal name
    region = ROUTE53_REGION if service == "route53" else session.region_name or ROUTE53_REGION
    try:
        return session.client(service, region_name=region, config=CLIENT_CONFIG)
    except (BotoCoreError, ValueError) as exc:
        raise CouldNotCheck(f"cannot create a {service} client: {exc}") from exc


def describe_client_error(exc: ClientError, action: str) -> str:
    """One line saying what went wrong, in words an on-call engineer can act on."""
    error = exc.response.get("Error", {})
    code = str(error.get("Code", "Unknown"))
    message = str(error.get("Message", "")).strip()
    detail = f" ({code}: {message})" if message else f" ({code})"
    if code in THROTTLING_CODES:
        return f"throttled by Route 53 while trying to {action}; retry later{detail}"
    if code in ACCESS_CODES:
        return f"access denied while trying to {action}; check the job's IAM policy{detail}"
    if code in CREDENTIAL_CODES:
        return f"AWS rejected the credentials while trying to {action}{detail}"
    return f"Route 53 error while trying to {action}{detail}"


@contextlib.contextmanager
def aws_call(action: str) -> Iterator[None]:
    """Turn any AWS/botocore failure inside the block into CouldNotCheck naming ``action``."""
    try:
        yield
    except (NoCredentialsError, PartialCredentialsError) as exc:
        raise CouldNotCheck(
            f"no AWS credentials found while trying to {action}; the job expects an instance "
            "profile or IRSA role (standard credential chain)"
        ) from exc
    except NoRegionError as exc:  # pragma: no cover - we always pass a region
        raise CouldNotCheck(f"no AWS region while trying to {action}") from exc
    except EndpointConnectionError as exc:
        raise CouldNotCheck(f"cannot reach the Route 53 endpoint to {action}: {exc}") from exc
    except ClientError as exc:
        raise CouldNotCheck(describe_client_error(exc, action)) from exc
    except BotoCoreError as exc:
        raise CouldNotCheck(f"AWS SDK error while trying to {action}: {exc}") from exc
