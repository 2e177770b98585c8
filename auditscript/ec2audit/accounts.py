"""The accounts of an audit: the caller's own, a list, or an Organization's active accounts.

Member accounts are entered with sts:AssumeRole on a named role (the way AWS Organizations
tooling does it); the caller's own account, when it is in the list (the management account
in ``--org`` mode), is audited with the caller's credentials, as there is no role to assume
into one's own account unless one was made for it.

boto3 sessions are not thread-safe, clients are: every session and client is made under one
lock (making them is CPU work anyway, so the lock costs no parallelism), then used freely.
"""

from __future__ import annotations

import re
import threading
from typing import Any, Dict, List, NamedTuple, Optional, Tuple

import boto3
import botocore.session

from . import aws
from .errors import UsageError

ACCOUNT_ID = re.compile(r"^\d{12}$")
# IAM's own patterns: RoleSessionName [\w+=,.@-]{2,64}, ExternalId [\w+=,.@:/-]{2,1224},
# role names [\w+=,.@-]{1,64} (a path may precede the name).
SESSION_NAME = re.compile(r"^[\w+=,.@-]{2,64}$")
EXTERNAL_ID = re.compile(r"^[\w+=,.@:/-]{2,1224}$")
ROLE_NAME = re.compile(r"^/?([\w+=,.@-]+/)*[\w+=,.@-]{1,64}$")
DEFAULT_ROLE_NAME = "ec2-audit"
DEFAULT_SESSION_NAME = "ec2-audit"
# "Status" is what botocore 1.37 models; AWS added "State" (same values and more) in 2025.
ACTIVE = "ACTIVE"


class Account(NamedTuple):
    account_id: str
    name: str


def parse_account_ids(values: List[str]) -> List[str]:
    """``--accounts 111111111111 222222222222`` or comma-separated; order kept, no repeats."""
    ids: List[str] = []
    for value in values:
        for item in value.split(","):
            item = item.strip()
            if not item:
                continue
            if not ACCOUNT_ID.match(item):
                raise UsageError(f"--accounts: {item!r} is not a 12-digit AWS account ID")
            if item not in ids:
                ids.append(item)
    if not ids:
        raise UsageError("--accounts needs at least one 12-digit AWS account ID")
    return ids


def check_role_options(role_name: str, session_name: str, external_id: Optional[str]) -> None:
    if not ROLE_NAME.match(role_name):
        raise UsageError(f"--role-name {role_name!r} is not an IAM role name (or path/name)")
    if not SESSION_NAME.match(session_name):
        raise UsageError(
            f"--session-name {session_name!r}: use 2-64 characters of letters, digits and +=,.@_-"
        )
    if external_id is not None and not EXTERNAL_ID.match(external_id):
        raise UsageError("--external-id: use 2-1224 characters of letters, digits and +=,.@:/_-")


def list_org_accounts(org: Any) -> Tuple[List[Account], int]:
    """(active accounts sorted by ID, how many were left out as suspended or closing)."""
    active: List[Account] = []
    skipped = 0
    for page in org.get_paginator("list_accounts").paginate():
        for item in page.get("Accounts", []):
            state = item.get("State") or item.get("Status")
            if state == ACTIVE:
                active.append(Account(str(item["Id"]), str(item.get("Name", ""))))
            else:
                skipped += 1
    return sorted(active), skipped


def role_arn(partition: str, account_id: str, role_name: str) -> str:
    path_and_name = role_name.strip("/")
    return f"arn:{partition}:iam::{account_id}:role/{path_and_name}"


class SessionFactory:
    """Sessions per account (assumed once, lazily) and clients per (account, region)."""

    def __init__(
        self,
        caller: boto3.session.Session,
        caller_account: str,
        home: str,
        partition: str,
        profile: Optional[str] = None,
        role_name: str = DEFAULT_ROLE_NAME,
        session_name: str = DEFAULT_SESSION_NAME,
        external_id: Optional[str] = None,
    ) -> None:
        self.caller = caller
        self.caller_account = caller_account
        self.home = home
        self.partition = partition
        self.profile = profile
        self.role_name = role_name
        self.session_name = session_name
        self.external_id = external_id
        self._lock = threading.Lock()
        self._sessions: Dict[str, boto3.session.Session] = {caller_account: caller}
        self._clients: Dict[Tuple[str, str, str], Any] = {}
        # Every new session reuses the caller's loaded API models (the EC2 model alone is a
        # few MB of JSON: parsing it again per account costs ~0.3 s of CPU).
        self._loader = caller._session.get_component("data_loader")

    def client(self, account_id: str, service: str, region: str) -> Any:
        """A client for ``service`` in ``region`` of ``account_id``; AssumeRole on first use."""
        session = self.session(account_id)
        key = (account_id, service, region)
        with self._lock:
            if key not in self._clients:
                self._clients[key] = aws.make_client(session, service, region)
            return self._clients[key]

    def session(self, account_id: str) -> boto3.session.Session:
        with self._lock:
            existing = self._sessions.get(account_id)
        if existing is not None:
            return existing
        credentials = self._assume(account_id)  # a network call: outside the lock
        with self._lock:
            if account_id not in self._sessions:
                core = botocore.session.get_session()
                core.register_component("data_loader", self._loader)
                self._sessions[account_id] = aws.tune(
                    boto3.session.Session(
                        aws_access_key_id=credentials["AccessKeyId"],
                        aws_secret_access_key=credentials["SecretAccessKey"],
                        aws_session_token=credentials["SessionToken"],
                        region_name=self.home,
                        botocore_session=core,
                        profile_name=self.profile,
                    )
                )
            return self._sessions[account_id]

    def _assume(self, account_id: str) -> Dict[str, Any]:
        sts = self.client(self.caller_account, "sts", self.home)
        kwargs: Dict[str, Any] = {
            "RoleArn": role_arn(self.partition, account_id, self.role_name),
            "RoleSessionName": self.session_name,
        }
        if self.external_id is not None:
            kwargs["ExternalId"] = self.external_id
        try:
            return dict(sts.assume_role(**kwargs)["Credentials"])
        except Exception as exc:
            raise aws.translate(exc, "sts", self.home, account_id) from exc
