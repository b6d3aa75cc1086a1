"""How far a YAML file's aliases and nesting may reach before it is refused, for every reader.

YAML shares an anchored value between its aliases, so a 600-byte file of aliases nested in
aliases stands for billions of values: whatever walks it (a copy, a validator, a reader
that checks each entry) expands it. Every YAML fieldeval reads is measured first, by a walk
that stops at the limit instead of finishing the expansion.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from fieldeval.errors import UserError

# A suite, a coding file or another tool's config is a few hundred to a few thousand values
# a few levels deep; the data lives in datasets. Far more means aliases nested in aliases.
MAX_VALUES = 100_000
MAX_DEPTH = 100


class YamlTooLarge(Exception):
    """The file stands for more values, or deeper nesting, than any real one."""

    def __init__(self, message: str, hint: str) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


def check_size(tree: Any) -> None:
    """Raise `YamlTooLarge` if expanding `tree` would pass `MAX_VALUES` values or
    `MAX_DEPTH` levels; the walk itself stops there, so it is cheap either way."""
    budget = MAX_VALUES
    pending: list[tuple[Any, int]] = [(tree, 0)]
    while pending:
        node, depth = pending.pop()
        budget -= 1
        if budget < 0:
            raise YamlTooLarge(
                f"the YAML expands to more than {MAX_VALUES:,} values through its aliases"
                " (*name): an anchor repeated inside another anchor multiplies",
                hint="write the values out, or keep each alias to a short value",
            )
        if depth > MAX_DEPTH:
            raise YamlTooLarge(
                f"nested more than {MAX_DEPTH} levels deep",
                hint="look for a run of unclosed [ or {, or indentation that keeps growing",
            )
        if isinstance(node, Mapping):
            pending.extend((value, depth + 1) for value in node.values())
        elif isinstance(node, list):
            pending.extend((value, depth + 1) for value in node)


PARSER_DEPTH_MESSAGE = (
    "nested too deeply for the YAML parser (brackets or indentation inside one another"
    " thousands of levels deep)"
)


def load_bounded(path: Path, load: Callable[[], Any], error: type[UserError]) -> Any:
    """`load()`'s tree, refused as `error` naming `path` when the parser recurses too deep
    or the tree would expand past the limits; other YAML errors pass through."""
    try:
        tree = load()
    except RecursionError:
        raise error(
            f"{path}: {PARSER_DEPTH_MESSAGE}", hint="look for a run of unclosed [ or {"
        ) from None
    try:
        check_size(tree)
    except YamlTooLarge as too_large:
        raise error(f"{path}: {too_large.message}", hint=too_large.hint) from None
    return tree
