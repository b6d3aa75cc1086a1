"""A reply's own confidence, when it gives one: a JSON field, or stated in words.

    {"answer": "billing", "confidence": 0.8}     with abstention.confidence_field: confidence
    "Credit card (confidence: 85%)"              stated: "confidence" then a number
    "I'm 90% sure it is a billing dispute."      stated: a percentage then sure/confident/certain

A number above 1 is read as a percentage; one outside 0–100 is no confidence at all.
"""

from __future__ import annotations

import json
import re
from typing import Final

_FENCE: Final = re.compile(r"^```[a-zA-Z]*\s*|\s*```$")
_STATED: Final = (
    re.compile(
        r"\bconfidence(?: level| score)?\s*(?:is|of|=|:)?\s*(\d{1,3}(?:\.\d+)?)\s*(%?)", re.I
    ),
    re.compile(r"\b(\d{1,3}(?:\.\d+)?)\s*(%)\s*(?:sure|confident|certain|confidence)\b", re.I),
)


def stated_confidence(text: str | None, field: str | None = None) -> float | None:
    """The reply's confidence in [0, 1], or None when it gives none."""
    if not text:
        return None
    if field is not None:
        return _from_json(text, field)
    for pattern in _STATED:
        found = pattern.search(text)
        if found is not None:
            return _scaled(float(found.group(1)), percent=bool(found.group(2)))
    return None


def _from_json(text: str, field: str) -> float | None:
    try:
        parsed = json.loads(_FENCE.sub("", text.strip()))
    except json.JSONDecodeError:
        return None
    value = parsed.get(field) if isinstance(parsed, dict) else None
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        number = float(str(value).rstrip("%"))
    except ValueError:
        return None
    return _scaled(number, percent=isinstance(value, str) and value.endswith("%"))


def _scaled(number: float, *, percent: bool) -> float | None:
    if percent or number > 1:
        number /= 100
    return number if 0 <= number <= 1 else None
