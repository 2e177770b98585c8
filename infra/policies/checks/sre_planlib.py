"""Shared reading of `terraform show -json` / `tofu show -json` plans for the CKV_SRE_* checks.

checkov hands a check one resource at a time and replaces values unknown at plan time with the
configuration's reference text. These rules need the whole plan (a role's policies, the log group
ECS would create, the plan's `checks`) and must tell "unset" from "known only after apply", so
each check reads the plan file checkov is scanning (conf["__file__"]) through this module.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Dict, Iterable, Iterator, List, Optional, Tuple

UNKNOWN = object()  # a value Terraform will know only after apply


@dataclass
class Resource:
    address: str
    mode: str  # managed | data
    type: str
    values: Dict[str, Any]
    unknown: Dict[str, Any] = field(default_factory=dict)

    def get(self, key: str) -> Any:
        """The planned value, UNKNOWN when it is known only after apply, None when unset."""
        if self.unknown.get(key) is True:
            return UNKNOWN
        return self.values.get(key)

    def blocks(self, key: str) -> List[Dict[str, Any]]:
        """A nested block list ([] when absent or unknown at plan time)."""
        value = self.get(key)
        return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []

    @property
    def config_address(self) -> str:
        """The address without instance keys, as the plan's `checks` name a resource."""
        return re.sub(r"\[[^\]]*\]", "", self.address)


@dataclass
class Plan:
    path: str
    resources: List[Resource]
    raw: Dict[str, Any]

    def of_type(self, type_: str, mode: str = "managed") -> List[Resource]:
        return [r for r in self.resources if r.type == type_ and r.mode == mode]

    def by_address(self, address: str) -> Optional[Resource]:
        return next((r for r in self.resources if r.address == address), None)

    def account_id(self) -> Optional[str]:
        for r in self.of_type("aws_caller_identity", "data"):
            value = r.get("account_id")
            if isinstance(value, str):
                return value
        return None

    def checked_config_addresses(self) -> set[str]:
        """Resources that carry a precondition or postcondition (the plan's `checks`)."""
        found = set()
        for check in self.raw.get("checks") or []:
            address = check.get("address") or {}
            if address.get("kind") == "resource":
                found.add(address.get("to_display", ""))
        return found


def _prior_data(module: Dict[str, Any]) -> Iterator[Dict[str, Any]]:
    yield from module.get("resources", [])
    for child in module.get("child_modules", []):
        yield from _prior_data(child)


@lru_cache(maxsize=32)
def load(path: str) -> Plan:
    with open(path) as handle:
        raw = json.load(handle)
    resources: Dict[str, Resource] = {}
    prior = ((raw.get("prior_state") or {}).get("values") or {}).get("root_module") or {}
    for r in _prior_data(prior):
        if r.get("mode") == "data":
            resources[r["address"]] = Resource(
                r["address"], "data", r["type"], r.get("values") or {}
            )
    for rc in raw.get("resource_changes", []):
        change = rc.get("change") or {}
        if change.get("actions") == ["delete"]:
            continue
        resources[rc["address"]] = Resource(
            rc["address"],
            rc.get("mode", "managed"),
            rc["type"],
            change.get("after") or {},
            change.get("after_unknown") or {},
        )
    return Plan(path, list(resources.values()), raw)


def plan_for(conf: Dict[str, Any]) -> Tuple[Plan, Optional[Resource]]:
    """The plan a checkov resource conf came from, and that resource in it."""
    file_ = conf.get("__file__")
    path = file_[0] if isinstance(file_, list) else file_
    address = conf.get("__address__")
    plan = load(str(path))
    return plan, plan.by_address(str(address)) if address else None


# --- IAM policy documents -------------------------------------------------------------------


@dataclass
class Statement:
    effect: str
    principals: Dict[str, List[str]]  # {"*": ["*"]} for Principal "*"
    actions: List[str]
    not_actions: List[str]
    resources: List[str]
    not_resources: List[str]
    conditions: Dict[str, Dict[str, Any]]

    def condition_keys(self) -> set[str]:
        return {key.lower() for values in self.conditions.values() for key in values}


def _as_list(value: Any) -> List[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def parse_policy(document: Any) -> Optional[List[Statement]]:
    """Statements of a JSON policy (string or dict); None when unknown or not JSON."""
    if document is UNKNOWN or document in (None, ""):
        return None
    if isinstance(document, str):
        try:
            document = json.loads(document)
        except ValueError:
            return None
    statements = []
    for s in _as_list(document.get("Statement")):
        principal = s.get("Principal")
        if principal == "*":
            principals = {"*": ["*"]}
        elif isinstance(principal, dict):
            principals = {k: [str(v) for v in _as_list(v)] for k, v in principal.items()}
        else:
            principals = {}
        statements.append(
            Statement(
                effect=s.get("Effect", "Allow"),
                principals=principals,
                actions=[str(a) for a in _as_list(s.get("Action"))],
                not_actions=[str(a) for a in _as_list(s.get("NotAction"))],
                resources=[str(r) for r in _as_list(s.get("Resource"))],
                not_resources=[str(r) for r in _as_list(s.get("NotResource"))],
                conditions=s.get("Condition") or {},
            )
        )
    return statements


def _glob(pattern: str, flags: int = 0) -> re.Pattern[str]:
    # IAM wildcards are only * and ? (fnmatch would also treat [] as a class).
    body = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.compile(f"^{body}$", flags | re.DOTALL)


def action_matches(patterns: Iterable[str], action: str) -> bool:
    """IAM action matching: `*` and `?` wildcards, case-insensitive."""
    return any(_glob(p, re.IGNORECASE).match(action) for p in patterns)


def resource_matches(patterns: Iterable[str], arn: str) -> bool:
    """IAM resource matching: `*` and `?` wildcards, case-sensitive."""
    return any(_glob(p).match(arn) for p in patterns)


def statement_allows(s: Statement, action: str, arn: str) -> bool:
    """Whether the statement's action and resource parts cover (action, arn)."""
    if s.not_actions:
        covers_action = not action_matches(s.not_actions, action)
    else:
        covers_action = action_matches(s.actions, action)
    if s.not_resources:
        covers_resource = not resource_matches(s.not_resources, arn)
    else:
        covers_resource = resource_matches(s.resources, arn)
    return covers_action and covers_resource


def is_anyone(s: Statement) -> bool:
    return "*" in s.principals or "*" in s.principals.get("AWS", [])
