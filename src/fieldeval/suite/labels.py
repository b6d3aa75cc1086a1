"""The suite's `labels:`: the reference is a label, and each output is read as one.

    labels: [positive, negative, neutral]        # the short form
    labels: {values: [positive, negative], field: sentiment}   # outputs are JSON
    labels: false                                # not a classification: never infer

Without `labels:`, fieldeval infers labels when the reference column looks like one
(`suite.labels.infer_labels`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any, Final

from pydantic import Field, TypeAdapter, field_validator, model_validator

from fieldeval.suite.prompt import Strict


class Labels(Strict):
    values: tuple[str, ...] = Field(
        (), description="the labels a reference holds; empty: read off the references"
    )
    field: str | None = Field(
        None, description="the output is a JSON object and its label is this field"
    )
    infer: bool = Field(
        True, description="read labels off the references when none are given; false: never"
    )

    @model_validator(mode="before")
    @classmethod
    def _short_form(cls, value: Any) -> Any:
        if isinstance(value, bool):
            return {"infer": value}  # `labels: false`
        return {"values": value} if isinstance(value, list | tuple) else value

    @field_validator("values")
    @classmethod
    def _distinct(cls, values: tuple[str, ...]) -> tuple[str, ...]:
        seen: dict[str, str] = {}
        for value in values:
            key = label_key(value)
            if not key:
                raise ValueError("a label must have a letter or digit in it")
            if key in seen:
                raise ValueError(
                    f"labels {seen[key]!r} and {value!r} read the same (case, spaces, '_' "
                    "and '-' are ignored when an output is read): keep one"
                )
            seen[key] = value
        return values


def label_key(text: str) -> str:
    """How a label and an output are compared: casefolded, `_` and `-` as spaces, runs of
    spaces as one, surrounding punctuation dropped."""
    spaced = text.casefold().replace("_", " ").replace("-", " ")
    return " ".join(spaced.split()).strip(" \"'`*.,;:!?()[]{}<>")


# References look like labels when there are 2 to MAX_INFERRED distinct values, each at
# most MAX_LABEL_CHARS long, and at most half as many values as examples.
MAX_INFERRED: Final = 20
MAX_LABEL_CHARS: Final = 100


def infer_labels(references: Sequence[str | None]) -> tuple[str, ...] | None:
    """The references' distinct values, most common first, when they look like labels."""
    given = [r.strip() for r in references if r is not None and r.strip()]
    counts = Counter(given)
    if not 2 <= len(counts) <= min(MAX_INFERRED, len(given) / 2):
        return None
    if any(len(value) > MAX_LABEL_CHARS for value in counts):
        return None
    keys = {label_key(value) for value in counts}
    if len(keys) != len(counts) or "" in keys:
        return None  # "Yes" and "yes": not one label set we could read outputs against
    return tuple(value for value, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


# `labels:` as a run's stored copy of its suite holds it (absent in runs made before it).
LABELS_FIELD: TypeAdapter[Labels | None] = TypeAdapter(Labels | None)
