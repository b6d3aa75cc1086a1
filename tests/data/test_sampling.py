from __future__ import annotations

from collections import Counter

import pytest

from fieldeval.data.sampling import allocate, sample
from fieldeval.records.example import Example


def examples(labels: list[str]) -> list[Example]:
    return [
        Example(id=f"r{i}", fields={"label": label, "text": f"row {i}"}, input=f"row {i}")
        for i, label in enumerate(labels)
    ]


def test_same_seed_same_sample_other_seed_other_sample() -> None:
    rows = examples(["a"] * 100)
    first = sample(rows, 10, seed=1)
    assert first == sample(rows, 10, seed=1)
    assert first != sample(rows, 10, seed=2)
    assert len(first) == 10


def test_chosen_examples_keep_file_order() -> None:
    rows = examples(["a"] * 50)
    chosen = sample(rows, 10, seed=3)
    assert list(chosen) == [row for row in rows if row in chosen]


def test_sample_does_not_depend_on_row_order() -> None:
    rows = examples(["a"] * 50)
    assert {e.id for e in sample(rows, 10, seed=4)} == {
        e.id for e in sample(list(reversed(rows)), 10, seed=4)
    }


def test_appended_rows_only_displace_old_rows_for_new_ones() -> None:
    rows = examples(["a"] * 60)
    before = {e.id for e in sample(rows[:40], 10, seed=5)}
    after = {e.id for e in sample(rows, 10, seed=5)}
    old_ids = {e.id for e in rows[:40]}
    assert after & old_ids <= before


def test_n_at_least_len_returns_everything() -> None:
    rows = examples(["a", "b", "c"])
    assert sample(rows, 3, seed=0) == tuple(rows)
    assert sample(rows, 10, stratify="label", seed=0) == tuple(rows)


def test_stratified_sample_is_proportional() -> None:
    rows = examples(["card"] * 60 + ["loan"] * 30 + ["fraud"] * 10)
    counts = Counter(e.fields["label"] for e in sample(rows, 20, stratify="label", seed=0))
    assert counts == {"card": 12, "loan": 6, "fraud": 2}


def test_every_stratum_gets_one_when_n_covers_them() -> None:
    rows = examples(["big"] * 97 + ["rare1", "rare2", "rare3"])
    counts = Counter(e.fields["label"] for e in sample(rows, 5, stratify="label", seed=0))
    assert counts == {"big": 2, "rare1": 1, "rare2": 1, "rare3": 1}


@pytest.mark.parametrize(
    ("sizes", "n", "expected"),
    [
        ({"a": 90, "b": 10}, 10, {"a": 9, "b": 1}),
        ({"a": 5, "b": 3, "c": 2}, 4, {"a": 2, "b": 1, "c": 1}),
        ({"a": 1, "b": 1, "c": 1}, 2, {"a": 1, "b": 1, "c": 0}),  # n < strata: ties by name
        ({"a": 34, "b": 33, "c": 33}, 10, {"a": 4, "b": 3, "c": 3}),
    ],
)
def test_largest_remainder_allocation(
    sizes: dict[str, int], n: int, expected: dict[str, int]
) -> None:
    assert allocate(sizes, n) == expected
    assert sum(allocate(sizes, n).values()) == n


def test_non_positive_n_is_refused() -> None:
    with pytest.raises(ValueError, match="positive"):
        sample(examples(["a"]), 0, seed=0)
