"""Canonical JSON and the content hashes built on it (dataset versions, cache keys)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any


def _plain(value: Any) -> Any:
    # Example.fields is typed as a Mapping; any mapping hashes like the dict it equals.
    if isinstance(value, Mapping):
        return dict(value)
    raise TypeError(f"{type(value).__name__} is not JSON data")


def canonical_json(obj: Any) -> str:
    """One text per value: sorted keys, no spaces, UTF-8 kept as is (not \\u-escaped)."""
    return json.dumps(
        obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_plain
    )


def content_hash(obj: Any) -> str:
    """`"s256:<hex>"`: the SHA-256 of `obj`'s canonical JSON."""
    return "s256:" + hashlib.sha256(canonical_json(obj).encode("utf-8")).hexdigest()
