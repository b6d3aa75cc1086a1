"""Comparisons and gate results as JSON: every field, outputs' texts included."""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Mapping
from datetime import datetime
from enum import Enum
from typing import Any

from fieldeval.results.compare import RunComparison
from fieldeval.results.gate import GateResult

FORMAT_VERSION = 1  # bump when a field changes meaning, so scripts reading the JSON can tell


def comparison_json(comparison: RunComparison) -> str:
    return _dump({"format": FORMAT_VERSION, "comparison": to_jsonable(comparison)})


def gate_json(result: GateResult) -> str:
    return _dump(
        {
            "format": FORMAT_VERSION,
            "passed": result.passed,
            "findings": to_jsonable(result.findings),
            # named, unlike the tuples the library keeps
            "known_failures": [
                {"candidate_id": c, "example_id": e, "check_id": k}
                for c, e, k in result.known_failures
            ],
            "comparison": to_jsonable(result.comparison),
        }
    )


def to_jsonable(value: Any) -> Any:
    """Dataclasses to dicts of their fields, recursively; nothing silently stringified.

    Non-finite floats become null: `NaN` is not JSON, whatever Python's json module writes.
    """
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
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
    if isinstance(value, list | tuple):
        return [to_jsonable(v) for v in value]
    raise TypeError(f"no JSON form for {type(value).__name__}")


def _dump(document: dict[str, Any]) -> str:
    return json.dumps(document, ensure_ascii=False, indent=2, allow_nan=False) + "\n"
