"""The bundled price table: which price a candidate gets, and the snapshot kept with a run."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest
from pydantic import TypeAdapter

from fieldeval.providers.price_table import (
    PriceSnapshot,
    price_for,
    table_age_days,
    table_as_of,
    table_models,
    table_price,
    table_sources,
)
from fieldeval.suite.candidates import CandidateBase, Price
from fieldeval.suite.schema import Candidate

REQUESTED = {
    "openai": {
        "gpt-4o",
        "gpt-4o-mini",
        "gpt-4.1",
        "gpt-4.1-mini",
        "gpt-4.1-nano",
        "o3",
        "o4-mini",
        "gpt-5",
        "gpt-5-mini",
        "gpt-5-nano",
    },
    "anthropic": {
        "claude-opus-4-1",
        "claude-opus-4-5",
        "claude-sonnet-4",
        "claude-sonnet-4-5",
        "claude-haiku-4-5",
        "claude-3-5-haiku",
    },
    "google": {"gemini-2.5-pro", "gemini-2.5-flash", "gemini-2.5-flash-lite"},
}


def candidate(**config: Any) -> CandidateBase:
    entry: CandidateBase = TypeAdapter(Candidate).validate_python({"id": "c", **config})
    return entry


def matched(model: str) -> str | None:
    snapshot = table_price(model)
    return None if snapshot is None else snapshot.model


def test_the_table_is_dated_sourced_and_prices_every_entry() -> None:
    as_of = table_as_of()
    assert date(2025, 1, 1) <= as_of <= date(2026, 1, 1)
    assert table_sources() and all(s.startswith("https://") for s in table_sources())
    models = table_models()
    for vendor, names in REQUESTED.items():
        assert names <= set(models[vendor]), vendor
    for names in models.values():
        for name in names:
            snapshot = table_price(name)
            assert snapshot is not None and snapshot.model == name
            price = snapshot.price
            assert price.input_per_mtok > 0 and price.output_per_mtok > 0, name
            # Reading from a cache is a discount, never a surcharge.
            assert price.cached_input_per_mtok is not None, name
            assert 0 < price.cached_input_per_mtok < price.input_per_mtok, name
            assert snapshot.source == "table" and snapshot.as_of == as_of


def test_list_prices_worked_out_by_hand() -> None:
    assert table_price("gpt-4o-mini") == PriceSnapshot(
        Price(input_per_mtok=0.15, cached_input_per_mtok=0.075, output_per_mtok=0.60),
        "table",
        model="gpt-4o-mini",
        as_of=table_as_of(),
    )
    sonnet = table_price("claude-sonnet-4-5")
    assert sonnet is not None
    assert (sonnet.price.input_per_mtok, sonnet.price.output_per_mtok) == (3.0, 15.0)


def test_a_model_is_found_by_its_exact_name() -> None:
    assert matched("gpt-4.1-nano") == "gpt-4.1-nano"
    assert matched("o3") == "o3"
    assert matched("GPT-4o") == "gpt-4o"  # vendors' names are lower case; a typo in case is not


@pytest.mark.parametrize(
    ("model", "entry"),
    [
        ("gpt-4o-2024-08-06", "gpt-4o"),
        ("gpt-4o-mini-2024-07-18", "gpt-4o-mini"),  # the longer entry, not gpt-4o
        ("gpt-4.1-mini-2025-04-14", "gpt-4.1-mini"),
        ("claude-sonnet-4-20250514", "claude-sonnet-4"),
        ("claude-sonnet-4-5-20250929", "claude-sonnet-4-5"),  # not claude-sonnet-4
        ("claude-3-5-haiku-latest", "claude-3-5-haiku"),
    ],
)
def test_a_dated_snapshot_is_priced_as_its_model(model: str, entry: str) -> None:
    assert matched(model) == entry


@pytest.mark.parametrize(
    ("model", "entry"),
    [("openai/gpt-4o", "gpt-4o"), ("anthropic/claude-haiku-4-5", "claude-haiku-4-5")],
)
def test_a_vendor_prefix_is_ignored(model: str, entry: str) -> None:
    assert matched(model) == entry


@pytest.mark.parametrize(
    "model",
    [
        "my-fine-tune",
        "gpt-4",  # not listed, though gpt-4o and gpt-4.1 are
        "gpt-4o-audio-preview",  # another model that only starts like one listed
        "o3-pro",
        "gpt-5-pro",
        "claude-sonnet-4-6",  # a later version, not a dated snapshot of claude-sonnet-4
        "",
    ],
)
def test_a_model_the_table_does_not_list_has_no_price(model: str) -> None:
    assert table_price(model) is None


def test_the_suite_price_wins_over_the_table() -> None:
    own = {"input_per_mtok": 1.0, "output_per_mtok": 2.0}
    snapshot = price_for(candidate(provider="openai", model="gpt-4o", price=own))
    assert snapshot == PriceSnapshot(Price.model_validate(own), "suite")
    assert snapshot is not None and snapshot.describe() == "set in the suite"


def test_hosted_candidates_are_looked_up_and_others_are_not() -> None:
    openai = price_for(candidate(provider="openai", model="gpt-4o-2024-08-06"))
    assert openai is not None and openai.model == "gpt-4o"
    assert openai.describe() == f"bundled table of {table_as_of().isoformat()} (gpt-4o)"
    # An OpenAI-compatible server (here a router) with a listed model is priced too.
    routed = price_for(
        candidate(provider="openai", model="google/gemini-2.5-flash", base_url="http://x/v1")
    )
    assert routed is not None and routed.model == "gemini-2.5-flash"
    claude = price_for(candidate(provider="anthropic", model="claude-opus-4-5"))
    assert claude is not None and claude.price.output_per_mtok == 25.0
    assert price_for(candidate(provider="openai", model="my-fine-tune")) is None
    # The team's own app calling gpt-4o is not billed at gpt-4o's list price.
    assert price_for(candidate(provider="python", function="app:answer")) is None
    assert price_for(candidate(provider="http", url="http://app/answer")) is None


@pytest.mark.parametrize(
    "snapshot",
    [
        PriceSnapshot(
            Price(input_per_mtok=3.0, output_per_mtok=15.0, reasoning_per_mtok=12.0, per_call=0.1),
            "suite",
        ),
        PriceSnapshot(
            Price(input_per_mtok=0.15, output_per_mtok=0.6, cached_input_per_mtok=0.075),
            "table",
            model="gpt-4o-mini",
            as_of=date(2025, 11, 24),
        ),
    ],
)
def test_a_snapshot_survives_a_round_trip_through_json(snapshot: PriceSnapshot) -> None:
    data = json.loads(json.dumps(snapshot.to_dict()))
    assert PriceSnapshot.from_dict(data) == snapshot


def test_a_table_snapshot_says_where_it_came_from() -> None:
    data = PriceSnapshot(Price(input_per_mtok=1.0), "table", "gpt-4o", date(2025, 11, 24)).to_dict()
    assert data == {
        "price": {
            "input_per_mtok": 1.0,
            "output_per_mtok": 0.0,
            "cached_input_per_mtok": None,
            "reasoning_per_mtok": None,
            "per_call": 0.0,
        },
        "source": "table",
        "model": "gpt-4o",
        "as_of": "2025-11-24",
    }


def test_the_table_age_counts_days_from_its_date() -> None:
    as_of = table_as_of()
    assert table_age_days(as_of) == 0
    assert table_age_days(date.fromordinal(as_of.toordinal() + 30)) == 30
