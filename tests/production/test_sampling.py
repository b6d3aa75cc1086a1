"""Drawing an eval set from production: strata, floors, near-duplicates, probabilities kept."""

from __future__ import annotations

import json
import random
import string
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from fieldeval.production.duplicates import group_duplicates
from fieldeval.production.evalset import write_evalset
from fieldeval.production.sampling import allocate, draw_sample
from fieldeval.records.production import ProductionRecord

WORDS = [
    "refund",
    "parcel",
    "invoice",
    "login",
    "password",
    "plan",
    "upgrade",
    "address",
    "courier",
    "receipt",
]


def _record(i: int, route: str, text: str | None = None) -> ProductionRecord:
    words = [WORDS[(i * 7 + k * 3) % len(WORDS)] for k in range(6)]
    return ProductionRecord(
        id=f"t{i}:s{i}",
        source="otlp",
        started_at=datetime(2026, 11, 30, tzinfo=UTC) + timedelta(minutes=i),
        messages=(
            {
                "role": "user",
                "content": text or f"{route} case {i}: " + " ".join(words) + f" #{i * 7919}",
            },
        ),
        output="ok",
        attributes={"app.route": route},
    )


def _distinct(n: int, route: str, offset: int) -> list[ProductionRecord]:
    """n inputs no two of which are near-identical: eight random five-letter words each."""
    rng = random.Random(f"{route}{offset}")
    texts = [
        " ".join("".join(rng.choices(string.ascii_lowercase, k=5)) for _ in range(8))
        for _ in range(n)
    ]
    return [_record(offset + k, route, text) for k, text in enumerate(texts)]


def test_allocation_floor_then_proportional_capped() -> None:
    calls = {"big": 7000, "mid": 2000, "small": 800, "rare": 3}
    assert allocate(200, calls, calls, 30) == {"big": 106, "mid": 52, "small": 39, "rare": 3}
    assert sum(allocate(200, calls, calls, 30).values()) == 200


def test_near_duplicates_are_one_input() -> None:
    texts = [
        "Where is my order 1234? It was due last Tuesday, the tracking page has not moved since"
        " Friday and nobody answers the phone at your depot.",
        "where is my order 5678?  it was due last tuesday, the tracking page has not moved since"
        " friday and nobody answers the phone at your depot.",
        "Where is my order 9? It was due last Tuesday, the tracking page has not moved since"
        " Friday and nobody ever answers the phone at your depot.",
        "How do I reset my password?",
    ]
    # The second is the first with digits, case and spaces aside; the third has a word more.
    assert group_duplicates(texts) == [0, 0, 0, 3]


def test_inclusion_probabilities_are_what_the_draws_show() -> None:
    """Over many seeds, each input is drawn as often as its stored probability says."""
    records = _distinct(30, "billing", 0) + _distinct(6, "legal", 100)
    drawn: Counter[str] = Counter()
    probability: dict[str, float] = {}
    seeds = 300
    for seed in range(seeds):
        sample = draw_sample(records, 12, by=["app.route"], min_per_stratum=4, seed=seed)
        for example in sample.examples:
            drawn[example.record.id] += 1
            probability[example.record.id] = example.inclusion_probability
    assert set(probability.values()) == {7 / 30, 5 / 6}  # floors of 4, then 4 more by size
    for record in records:
        expected = probability[record.id]
        # Within four binomial standard errors over 300 draws.
        assert (
            abs(drawn[record.id] / seeds - expected)
            < 4 * (expected * (1 - expected) / seeds) ** 0.5
        )


def test_same_seed_same_sample_and_weights_add_up() -> None:
    records = _distinct(40, "billing", 0) + _distinct(10, "shipping", 100)
    first = draw_sample(records, 10, by=["app.route"], min_per_stratum=3, seed=5)
    again = draw_sample(list(reversed(records)), 10, by=["app.route"], min_per_stratum=3, seed=5)
    assert {e.record.id for e in first.examples} == {e.record.id for e in again.examples}
    by_stratum = Counter()
    for example in first.examples:
        by_stratum[example.stratum] += example.weight
    assert by_stratum == pytest.approx({"app.route=billing": 40, "app.route=shipping": 10})


def test_records_without_content_or_failed_are_left_out() -> None:
    good = _distinct(5, "billing", 0)
    empty = ProductionRecord(
        id="x", source="otlp", started_at=good[0].started_at, messages=(), output=None
    )
    failed = ProductionRecord(
        id="y",
        source="otlp",
        started_at=good[0].started_at,
        messages=({"role": "user", "content": "hi"},),
        output=None,
        error="timeout",
    )
    sample = draw_sample([*good, empty, failed], 10)
    assert len(sample.examples) == 5 and sample.unusable == 2


def test_the_eval_set_file_holds_the_design(tmp_path: Path) -> None:
    records = _distinct(20, "billing", 0) + [_record(50, "legal", "Delete all my data now")] * 3
    records[-2:] = [ProductionRecord(**{**records[-1].__dict__, "id": f"dup{k}"}) for k in range(2)]
    sample = draw_sample(records, 6, by=["app.route"], min_per_stratum=1, seed=1)
    path = tmp_path / "evalset.jsonl"
    write_evalset(path, sample, ["app.route"])
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    legal = [row for row in rows if row["app.route"] == "legal"]
    assert len(legal) == 1 and legal[0]["production_calls"] == 3
    assert legal[0]["inclusion_probability"] == 1.0 and legal[0]["production_weight"] == 3.0
    assert legal[0]["stratum_fraction"] == pytest.approx(1 / 3)
    assert legal[0]["stratum_calls"] == 3
    assert sum(row["production_weight"] for row in rows) == pytest.approx(23)
    assert all(row["production_output"] == "ok" for row in rows)
