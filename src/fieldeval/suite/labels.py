"""The suite's `labels:`: the reference is a label, and each output is read as one.

    labels: [positive, negative, neutral]        # the short form
    labels: {values: [positive, negative], field: sentiment}   # outputs are JSON
    labels: false                                # not a classification: never infer

Without `labels:`, fieldeval infers labels when the reference column looks like one
(`results.classification.infer_labels`).
"""

from __future__ import annotations

from typing import Any

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


# `labels:` as a run's stored copy of its suite holds it (absent in runs made before it).
LABELS_FIELD: TypeAdapter[Labels | None] = TypeAdapter(Labels | None)
