"""Optional copy of the finished report to S3 (``--s3-uri``); needs only s3:PutObject."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Tuple
from urllib.parse import urlparse

from .errors import UploadError, UsageError

CONTENT_TYPES = {"csv": "text/csv", "json": "application/json", "markdown": "text/markdown"}


def parse_s3_uri(uri: str, report_path: str) -> Tuple[str, str]:
    """``s3://bucket/key`` or ``s3://bucket/prefix/`` (the report's file name is appended)."""
    parsed = urlparse(uri)
    if parsed.scheme != "s3" or not parsed.netloc:
        raise UsageError(
            f"--s3-uri {uri!r} is not an S3 URI: use s3://BUCKET/PREFIX/ or s3://BUCKET/KEY"
        )
    key = parsed.path.lstrip("/")
    if not key or key.endswith("/"):
        key += Path(report_path).name
    return parsed.netloc, key


def upload_report(s3: Any, path: str, bucket: str, key: str, fmt: str) -> None:
    try:
        with open(path, "rb") as body:
            s3.put_object(Bucket=bucket, Key=key, Body=body, ContentType=CONTENT_TYPES[fmt])
    except Exception as exc:  # every failure here has the same remedy
        raise UploadError(
            f"report written to {path}, but uploading it to s3://{bucket}/{key} failed "
            f"({_describe(exc)}): check the bucket name and s3:PutObject on it"
        ) from exc


def _describe(exc: BaseException) -> str:
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        error = response.get("Error", {})
        return f"{error.get('Code', 'Error')}: {error.get('Message', '')}".strip(": ")
    return " ".join(str(exc).split())[:200]
