"""Reading an output as one of the task's labels: the label set (the suite's `labels:`, or
inferred from the references) and the rules `read_label` follows (docs/metrics.md,
"Classification"). Deterministic, like a check: the classification view, the abstention
reading and the edge cases' reference oracle all read labels this way."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Final

from fieldeval.records.run import StoredExample
from fieldeval.suite.labels import LABELS_FIELD, Labels, infer_labels, label_key

UNPARSEABLE: Final = "(unparseable)"
_FENCE = re.compile(r"^```[a-zA-Z]*\s*|\s*```$")


@dataclass(frozen=True)
class LabelSet:
    values: tuple[str, ...]
    field: str | None  # outputs are JSON objects and the label is this field
    inferred: bool  # read off the references, not declared

    def canonical(self, text: str) -> str | None:
        """The label `text` names exactly (as `label_key` compares), or None."""
        return self.by_key.get(label_key(text))

    @cached_property
    def by_key(self) -> dict[str, str]:
        """Each label under the key outputs are compared by."""
        return {label_key(value): value for value in self.values}


def label_set(suite: Mapping[str, Any], examples: Sequence[StoredExample]) -> LabelSet | None:
    """The run's labels from its stored suite, or inferred from the references; None when the
    task is not a classification (or `labels: false`)."""
    own = LABELS_FIELD.validate_python(suite.get("labels")) or Labels()
    if own.values:
        return LabelSet(own.values, own.field, inferred=False)
    if not own.infer:
        return None
    inferred = infer_labels([e.reference for e in examples])
    return None if inferred is None else LabelSet(inferred, own.field, inferred=True)


def read_label(text: str | None, labels: LabelSet) -> str:
    """The label an output names, or UNPARSEABLE.

    With `field`, the output must be a JSON object (a code fence around it is allowed) and
    its field is read. Then: the whole text names a label exactly, or exactly one label
    appears in it as whole words (`_whole_words`; a label inside a longer one, "card" in
    "credit card", does not count apart from it). Two different labels, or none, are
    unparseable.
    """
    if text is None:
        return UNPARSEABLE
    if labels.field is not None:
        try:
            parsed = json.loads(_FENCE.sub("", text.strip()))
        except json.JSONDecodeError:
            return UNPARSEABLE
        value = parsed.get(labels.field) if isinstance(parsed, dict) else None
        if not isinstance(value, str | int | bool):
            return UNPARSEABLE
        text = str(value).lower() if isinstance(value, bool) else str(value)
    exact = labels.canonical(text)
    if exact is not None:
        return exact
    said = label_key(text)
    found: set[str] = set()
    taken = [False] * len(said)
    for key, value in sorted(labels.by_key.items(), key=lambda kv: -len(kv[0])):
        for match in re.finditer(_whole_words(key), said):
            if not any(taken[match.start() : match.end()]):
                found.add(value)
                taken[match.start() : match.end()] = [True] * (match.end() - match.start())
    return found.pop() if len(found) == 1 else UNPARSEABLE


def _whole_words(key: str) -> str:
    """`key` not run into other letters or digits. A Latin label's edge only needs a
    non-Latin neighbour: `top_up_failedに通った` names top_up_failed."""
    left = r"(?<![A-Za-z0-9])" if key[0].isascii() else r"(?<!\w)"
    right = r"(?![A-Za-z0-9])" if key[-1].isascii() else r"(?!\w)"
    return left + re.escape(key) + right
