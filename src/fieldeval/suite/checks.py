"""Check specifications in the suite file.

A check is written in short form, the check's name as the key and its argument as the value,
with options beside it:

    checks:
      - max_words: 100
      - {contains_any: [refund, charge], ignore_case: true, id: names-the-money}
      - {language: en}

It is normalised to `{type: max_words, value: 100}` before validation. String arguments are
Jinja2 templates over the example's fields (`equals: "{{ label }}"`), rendered in a sandbox.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from fieldeval.suite.scope import AppliesTo


class CheckBase(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    type: str  # each kind narrows it to its own Literal, the union's discriminator
    id: str | None = Field(None, description="defaults to the check's type, made unique")
    applies_to: AppliesTo = Field(
        AppliesTo(), description="candidate ids, or {candidates, slices}; empty means all"
    )
    severity: Literal["cosmetic", "minor", "major", "critical"] = Field(
        "major", description="how bad a failure of this check is for the users"
    )
    description: str | None = None
    metric_only: bool = Field(
        False, description="measured and reported, but does not decide whether the output passes"
    )


class _Count(CheckBase):
    value: int = Field(ge=0)


class MaxWords(_Count):
    type: Literal["max_words"]


class MinWords(_Count):
    type: Literal["min_words"]


class MaxSentences(_Count):
    type: Literal["max_sentences"]


class MinSentences(_Count):
    type: Literal["min_sentences"]


class MaxChars(_Count):
    type: Literal["max_chars"]


class MinChars(_Count):
    type: Literal["min_chars"]


class _Text(CheckBase):
    ignore_case: bool = False


def _as_tuple(value: Any) -> Any:
    return (value,) if isinstance(value, str) else value


class Contains(_Text):
    """All of the given strings appear (one string or a list)."""

    type: Literal["contains"]
    value: tuple[str, ...] = Field(min_length=1)
    _tuple = field_validator("value", mode="before")(_as_tuple)


class NotContains(_Text):
    """None of the given strings appears."""

    type: Literal["not_contains"]
    value: tuple[str, ...] = Field(min_length=1)
    _tuple = field_validator("value", mode="before")(_as_tuple)


class ContainsAny(_Text):
    type: Literal["contains_any"]
    value: tuple[str, ...] = Field(min_length=1)
    _tuple = field_validator("value", mode="before")(_as_tuple)


class ContainsAll(_Text):
    type: Literal["contains_all"]
    value: tuple[str, ...] = Field(min_length=1)
    _tuple = field_validator("value", mode="before")(_as_tuple)


class Regex(_Text):
    """The pattern is found somewhere in the output (re.search)."""

    type: Literal["regex"]
    value: str


class NotRegex(_Text):
    type: Literal["not_regex"]
    value: str


class Equals(CheckBase):
    """Equal after normalisation: case, surrounding punctuation and whitespace ignored."""

    type: Literal["equals"]
    value: str
    field: str | None = Field(
        None, description="compare this field of the output's JSON object, not the whole output"
    )


class StartsWith(_Text):
    type: Literal["starts_with"]
    value: str


class IsJson(CheckBase):
    type: Literal["is_json"]
    value: Literal[True] = True


class JsonSchema(CheckBase):
    """The output parses as JSON and validates against the schema (inline or a file path)."""

    type: Literal["json_schema"]
    value: dict[str, Any] | str


class Language(CheckBase):
    """The output is in one of these languages (ISO 639-1 codes), detected offline."""

    type: Literal["language"]
    value: tuple[str, ...] = Field(min_length=1)
    _tuple = field_validator("value", mode="before")(_as_tuple)


class PythonCheck(CheckBase):
    """A function `module:function(output, example) -> bool | (bool, reason) | CheckResult`."""

    type: Literal["python"]
    value: str = Field(pattern=r"^[\w.]+:[\w.]+$")


BUILT_IN: tuple[type[CheckBase], ...] = (
    MaxWords,
    MinWords,
    MaxSentences,
    MinSentences,
    MaxChars,
    MinChars,
    Contains,
    NotContains,
    ContainsAny,
    ContainsAll,
    Regex,
    NotRegex,
    Equals,
    StartsWith,
    IsJson,
    JsonSchema,
    Language,
    PythonCheck,
)

OPTION_KEYS = frozenset(
    {"id", "applies_to", "description", "ignore_case", "severity", "metric_only"}
)


def short_form(known: tuple[str, ...]) -> Callable[[Any], Any]:
    """`{max_words: 100, id: x}` -> `{type: max_words, value: 100, id: x}`, for `known` types."""

    def expand(data: Any) -> Any:
        if not isinstance(data, dict):
            raise ValueError("a check is a mapping such as `{max_words: 100}`")
        if "type" in data:
            return data
        names = [key for key in data if key in known]
        if len(names) > 1:
            raise ValueError(f"one check per item, found {', '.join(names)}: split them into items")
        if not names:
            unknown = [key for key in data if key not in OPTION_KEYS]
            guesses = difflib.get_close_matches(unknown[0], known, n=1) if unknown else []
            hint = f"; did you mean {guesses[0]!r}?" if guesses else ""
            raise ValueError(
                f"unknown check {unknown[0]!r}{hint} (known: {', '.join(known)})"
                if unknown
                else "no check named; write e.g. `{max_words: 100}`"
            )
        name = names[0]
        rest = {k: v for k, v in data.items() if k != name}
        return {"type": name, "value": data[name], **rest}

    return expand


def with_unique_ids(checks: tuple[CheckBase, ...]) -> tuple[CheckBase, ...]:
    """Give every check an id: its own, else its type, suffixed -2, -3 when repeated."""
    seen: dict[str, int] = {}
    named: list[CheckBase] = []
    for check in checks:
        base = check.id or str(check.type)
        seen[base] = seen.get(base, 0) + 1
        check_id = base if seen[base] == 1 else f"{base}-{seen[base]}"
        named.append(check.model_copy(update={"id": check_id}))
    return tuple(named)
