"""Loading every .tf file of infra/ with python-hcl2 into plain, unquoted Python data."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, Iterator, List

import hcl2

META_KEYS = {"__is_block__", "__comments__", "__start_line__", "__end_line__"}


def _unquote(value: Any) -> Any:
    """python-hcl2 >= 5 keeps the quotes of string literals and keys; drop them."""
    if isinstance(value, str) and len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1]
    if isinstance(value, dict):
        return {_unquote(k): _unquote(v) for k, v in value.items() if k not in META_KEYS}
    if isinstance(value, list):
        return [_unquote(v) for v in value]
    return value


@dataclass
class Block:
    """One `resource`/`data` block: where it is, its type, name and body."""

    path: Path
    kind: str
    type: str
    name: str
    body: Dict[str, Any]

    @property
    def module_dir(self) -> Path:
        return self.path.parent

    def __str__(self) -> str:
        return f"{self.path}: {self.kind} {self.type}.{self.name}"


def load(path: Path) -> Dict[str, Any]:
    with open(path) as handle:
        return _unquote(hcl2.load(handle))  # type: ignore[no-any-return,unused-ignore]


def tf_files(root: Path) -> List[Path]:
    return sorted(p for p in root.rglob("*.tf") if ".terraform" not in p.parts)


def blocks(root: Path, kind: str = "resource") -> Iterator[Block]:
    for path in tf_files(root):
        for entry in load(path).get(kind, []):
            for type_, named in entry.items():
                for name, body in named.items():
                    yield Block(path, kind, type_, name, body)


def nested(body: Dict[str, Any], key: str) -> List[Dict[str, Any]]:
    """A nested block as a list (python-hcl2 gives a list of dicts, or a dict once)."""
    value = body.get(key, [])
    return value if isinstance(value, list) else [value]
