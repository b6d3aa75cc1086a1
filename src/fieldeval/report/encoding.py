"""The one JSON encoding of fieldeval's results: `--json`, the exports and the web's `/api`.

Every result is a dataclass; its JSON is its fields, recursively, under the same names, so
the same object has one JSON wherever it is shown. Non-finite floats are null (`NaN` is not
JSON), datetimes ISO 8601, suite models their YAML shape, and an object that knows its own
JSON form (a price snapshot with its source) gives it through `to_json()`.
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Mapping
from datetime import datetime
from enum import Enum
from typing import Any

from pydantic import BaseModel

FORMAT_VERSION = 1  # bump when a field changes meaning, so scripts reading the JSON can tell


def to_jsonable(value: Any) -> Any:
    """`value` as JSON types; nothing silently stringified (an unknown type is a TypeError)."""
    to_json = getattr(value, "to_json", None)
    if callable(to_json):
        return to_jsonable(to_json())
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, Enum):
        return to_jsonable(value.value)
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if value is None or isinstance(value, str | int | bool):
        return value
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | frozenset | set):
        items = sorted(value) if isinstance(value, frozenset | set) else value
        return [to_jsonable(v) for v in items]
    raise TypeError(f"no JSON form for {type(value).__name__}")


def document(kind: str, **parts: Any) -> dict[str, Any]:
    """A versioned JSON document: `{"format": 1, "kind": kind, ...parts}`."""
    return {"format": FORMAT_VERSION, "kind": kind, **{k: to_jsonable(v) for k, v in parts.items()}}


def dumps(data: Mapping[str, Any]) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2, allow_nan=False) + "\n"
