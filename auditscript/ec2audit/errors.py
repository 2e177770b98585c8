"""Failure classes of an audit, each with its own exit status.

The CLI prints ``str(error)`` as one line on stderr and exits with ``error.exit_code``; nothing
else reaches the user (no traceback). Every message names the cause and the fix.
"""

from __future__ import annotations

from typing import Dict

EXIT_OK = 0
EXIT_INTERNAL = 1
EXIT_USAGE = 2
EXIT_CREDENTIALS = 3
EXIT_ACCESS_DENIED = 4
EXIT_REGION = 5
EXIT_UNAVAILABLE = 6
EXIT_OUTPUT = 7
EXIT_UPLOAD = 8
EXIT_PARTIAL = 9
# Not in EXIT_CODES (the shell's own convention, 128 + signal number), but documented beside it.
EXIT_INTERRUPTED = 130
EXIT_TERMINATED = 143

# Shown in --help and the README; tests/auditscript/test_meta.py keeps them in step.
EXIT_CODES: Dict[int, str] = {
    EXIT_OK: "success: report written",
    EXIT_INTERNAL: "unexpected error (a bug: rerun with --debug for a traceback)",
    EXIT_USAGE: "usage error (bad or missing option)",
    EXIT_CREDENTIALS: "no or invalid AWS credentials",
    EXIT_ACCESS_DENIED: "access denied (the IAM policy lacks an action the audit needs)",
    EXIT_REGION: "unknown region, or a region not enabled for the account",
    EXIT_UNAVAILABLE: "throttled beyond retries, or the endpoint is unreachable",
    EXIT_OUTPUT: "the report file cannot be written (existing file left untouched)",
    EXIT_UPLOAD: "report written locally, but the --s3-uri upload failed",
    EXIT_PARTIAL: "report written, but some (account, region) scopes failed (listed on stderr "
    "and in the .scopes file)",
}


class AuditError(Exception):
    """A failure the user can fix; its message is a single line."""

    exit_code = EXIT_INTERNAL


class UsageError(AuditError):
    exit_code = EXIT_USAGE


class CredentialsError(AuditError):
    exit_code = EXIT_CREDENTIALS


class AccessDeniedError(AuditError):
    exit_code = EXIT_ACCESS_DENIED


class RegionError(AuditError):
    exit_code = EXIT_REGION


class UnavailableError(AuditError):
    exit_code = EXIT_UNAVAILABLE


class OutputError(AuditError):
    exit_code = EXIT_OUTPUT


class UploadError(AuditError):
    exit_code = EXIT_UPLOAD
