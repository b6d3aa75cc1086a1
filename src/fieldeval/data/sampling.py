"""Reproducible samples of a dataset, optionally stratified by a field.

Each example gets a rank, the SHA-256 of the seed and its id, and a sample takes the
lowest-ranked examples. What holds, for a given seed:

- the same ids give the same sample, whatever the order of the rows;
- appending rows never swaps one old example for another: an old example leaves the
  sample only to make room for a new one that ranks lower (within its stratum);
- the chosen examples keep their order in the file.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence

from fieldeval.records.example import Example


def sample(
    examples: Sequence[Example], n: int, *, stratify: str | None = None, seed: int = 0
) -> tuple[Example, ...]:
    """`n` of the examples (all of them when `n >= len(examples)`).

    With `stratify`, each value of that field gets a share proportional to its rows
    (largest remainder), and at least one example when `n` is at least the number of values.
    """
    if n <= 0:
        raise ValueError(f"sample size must be positive, got {n}")
    if n >= len(examples):
        return tuple(examples)
    position = {id(example): index for index, example in enumerate(examples)}
    if stratify is None:
        chosen = _lowest(examples, n, seed)
    else:
        strata: dict[str, list[Example]] = {}
        for example in examples:
            strata.setdefault(_stratum(example, stratify), []).append(example)
        quotas = allocate({key: len(group) for key, group in strata.items()}, n)
        chosen = [
            example
            for key, group in strata.items()
            for example in _lowest(group, quotas[key], seed)
        ]
    return tuple(sorted(chosen, key=lambda example: position[id(example)]))


def allocate(sizes: dict[str, int], n: int) -> dict[str, int]:
    """Split `n` across strata in proportion to their sizes, by largest remainder.

    When `n` covers every stratum, none is left empty: an empty one takes a place from the
    stratum with the most. Ties go to the stratum that sorts first, so the split is stable.
    """
    total = sum(sizes.values())
    exact = {key: n * size / total for key, size in sizes.items()}
    quotas = {key: math.floor(share) for key, share in exact.items()}
    by_remainder = sorted(sizes, key=lambda key: (quotas[key] - exact[key], key))
    for key in by_remainder[: n - sum(quotas.values())]:
        quotas[key] += 1
    if n >= len(sizes):
        for key in sorted(key for key, quota in quotas.items() if quota == 0):
            donor = max(sorted(quotas), key=lambda k: quotas[k])
            quotas[donor] -= 1
            quotas[key] = 1
    return quotas


def _lowest(examples: Sequence[Example], n: int, seed: int) -> list[Example]:
    return sorted(examples, key=lambda example: _rank(example.id, seed))[:n]


def _rank(example_id: str, seed: int) -> bytes:
    return hashlib.sha256(f"{seed}\x00{example_id}".encode()).digest()


def _stratum(example: Example, field: str) -> str:
    value = example.fields.get(field)
    return "" if value is None else str(value)
