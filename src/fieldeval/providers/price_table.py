"""The bundled, dated table of hosted models' prices, and the price a candidate is billed at.

The table (`prices.yaml`, next to this module) lists vendors' list prices on one date. A
candidate's own `price:` always wins; otherwise an `openai` or `anthropic` candidate (an
OpenAI-compatible server included) is looked up by its model name. Whatever is used is kept
with the run as a `PriceSnapshot`, so a run's cost never changes when the table does.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from functools import cache
from importlib.resources import files
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from fieldeval.suite.candidates import AnthropicCandidate, CandidateBase, OpenAICandidate, Price

# What may follow a table entry's name in a model name priced as that entry: a date
# (gpt-4o-2024-08-06, claude-sonnet-4-20250514, gpt-4-0613) or `latest`. Anything else
# (gpt-4o-audio-preview, o3-pro, claude-sonnet-4-6) may be another model at another price,
# and a wrong price is worse than none.
_SNAPSHOT_SUFFIX = re.compile(r"-(?:latest|\d{8}|\d{4}(?:-\d{2}-\d{2})?)")


@dataclass(frozen=True)
class PriceSnapshot:
    """The price a run's candidate was billed at, and where that price came from."""

    price: Price
    source: str  # "suite" (the candidate's `price:`) or "table" (the bundled table)
    model: str | None = None  # the table entry that matched, e.g. "gpt-4o"
    as_of: date | None = None  # the table's date; None for a suite price

    def to_dict(self) -> dict[str, Any]:
        return {
            "price": self.price.model_dump(mode="json"),
            "source": self.source,
            "model": self.model,
            "as_of": None if self.as_of is None else self.as_of.isoformat(),
        }

    def to_json(self) -> dict[str, Any]:
        """Its stored form and, for a reader, where it came from in words."""
        return {**self.to_dict(), "description": self.describe()}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PriceSnapshot:
        as_of = data.get("as_of")
        return cls(
            price=Price.model_validate(data["price"]),
            source=str(data["source"]),
            model=data.get("model"),
            as_of=None if as_of is None else date.fromisoformat(as_of),
        )

    def describe(self) -> str:
        """'set in the suite', or 'bundled table of 2025-11-20 (gpt-4o)'."""
        if self.source == "suite":
            return "set in the suite"
        when = self.as_of.isoformat() if self.as_of is not None else "unknown date"
        return f"bundled table of {when} ({self.model})"


def price_for(candidate: CandidateBase) -> PriceSnapshot | None:
    """The suite's price when set, else the bundled table's entry for its model, else None."""
    if candidate.price is not None:
        return PriceSnapshot(candidate.price, "suite")
    if isinstance(candidate, OpenAICandidate | AnthropicCandidate):
        return table_price(candidate.model)
    return None  # local models, the team's own app, recorded outputs: no list price


def table_price(model: str) -> PriceSnapshot | None:
    """The table's price for a model name, or None when the table does not list it.

    Matches the name exactly, or as a dated snapshot of an entry (`gpt-4o-2024-08-06` is
    `gpt-4o`, `gpt-4o-mini-2024-07-18` is `gpt-4o-mini`); a `vendor/` prefix, as routers
    write names (`openai/gpt-4o`), is ignored.
    """
    table = _table()
    name = model.rsplit("/", 1)[-1].strip().lower()
    entry = name if name in table.prices else None
    if entry is None:
        # Longest first, so a name is never priced as a shorter entry it happens to extend.
        for known in sorted(table.prices, key=len, reverse=True):
            if name.startswith(known) and _SNAPSHOT_SUFFIX.fullmatch(name[len(known) :]):
                entry = known
                break
    if entry is None:
        return None
    return PriceSnapshot(table.prices[entry], "table", model=entry, as_of=table.as_of)


def table_as_of() -> date:
    """The date the bundled prices were last checked."""
    return _table().as_of


def table_sources() -> tuple[str, ...]:
    """Where the bundled prices were read, for a report's footnote."""
    return _table().sources


def table_age_days(today: date) -> int:
    """How many days old the bundled prices are on `today`."""
    return (today - _table().as_of).days


def table_models() -> dict[str, tuple[str, ...]]:
    """The models the table prices, per vendor."""
    return dict(_table().models)


class _Entry(Price):
    """A table price: unlike a suite's, it must charge for input and output."""

    @field_validator("input_per_mtok", "output_per_mtok")
    @classmethod
    def _priced(cls, value: float) -> float:
        if value <= 0:
            raise ValueError("a table entry must have its input and output prices")
        return value


class _TableFile(BaseModel):
    """prices.yaml as written: entries grouped by vendor."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    as_of: date
    sources: tuple[str, ...] = Field(min_length=1)
    models: dict[str, dict[str, _Entry]] = Field(min_length=1)


@dataclass(frozen=True)
class _Table:
    as_of: date
    sources: tuple[str, ...]
    models: dict[str, tuple[str, ...]]  # vendor -> model names
    prices: dict[str, Price]  # model name -> price


@cache
def _table() -> _Table:
    """The bundled table, read and checked once; an error here is a bug in fieldeval."""
    from ruamel.yaml import YAML

    text = files("fieldeval.providers").joinpath("prices.yaml").read_text(encoding="utf-8")
    parsed = _TableFile.model_validate(YAML(typ="safe", pure=True).load(text))
    prices: dict[str, Price] = {}
    for models in parsed.models.values():
        for name, entry in models.items():
            if name in prices or name != name.lower():
                raise ValueError(f"prices.yaml: {name!r} is listed twice or not in lower case")
            prices[name] = Price.model_validate(entry.model_dump())
    return _Table(
        as_of=parsed.as_of,
        sources=parsed.sources,
        models={vendor: tuple(models) for vendor, models in parsed.models.items()},
        prices=prices,
    )
