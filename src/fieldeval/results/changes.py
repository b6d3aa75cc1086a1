"""What changed between two runs' configurations, as dotted paths."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Change:
    """One difference between two configurations, as a dotted path."""

    path: str  # e.g. "task.prompt.template", "candidates.gpt.params.temperature"
    before: Any
    after: Any


def diff(before: Any, after: Any, path: str = "") -> list[Change]:
    """Every leaf that differs, as dotted paths; lists of items with ids are keyed by id.

    A key missing on one side shows as None there. Other lists are compared whole: an
    index-by-index diff of a reordered list would report changes nobody made.
    """
    if isinstance(before, Mapping) and isinstance(after, Mapping):
        keys = [*before, *(key for key in after if key not in before)]
        return [
            change
            for key in keys
            for change in diff(before.get(key), after.get(key), f"{path}.{key}" if path else key)
        ]
    keyed_before, keyed_after = _keyed_by_id(before), _keyed_by_id(after)
    if keyed_before is not None and keyed_after is not None:
        return diff(keyed_before, keyed_after, path)
    return [] if before == after else [Change(path, before, after)]


def _keyed_by_id(value: Any) -> dict[str, Any] | None:
    """A list of mappings with distinct string ids as a mapping by id, else None."""
    if not isinstance(value, list | tuple):
        return None
    ids = [item.get("id") if isinstance(item, Mapping) else None for item in value]
    if not all(isinstance(i, str) for i in ids) or len(set(ids)) != len(ids):
        return None
    return {str(i): item for i, item in zip(ids, value, strict=True)}
