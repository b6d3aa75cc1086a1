"""An eval set drawn from production records, each example knowing its probability of being drawn.

Near-identical inputs are grouped first (`duplicates`), within their stratum: a group is one
input, asked `calls` times. In stratum h, of G_h inputs standing for N_h calls, n_h inputs
are drawn without replacement, each equally likely (ranked by the SHA-256 of the seed and
its id, so the same seed draws the same sample). Each drawn input's inclusion probability
is π = n_h/G_h and its weight w = calls/π: the calls it stands for. `stats.survey` turns
the weights back into production estimates. Only the drawn call of each input is graded,
so the finite population correction uses n_h/N_h, the share of the stratum's calls
measured: the other calls with a near-identical input may have gone otherwise.

The n examples go to strata in proportion to their calls, but at least `min_per_stratum`
(or all its inputs, or n/H when n is too small for that) to each: a rare stratum is
oversampled, so something can be said about it, and the weights undo that in the
production estimate.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from fieldeval.production.duplicates import group_duplicates
from fieldeval.production.strata import check_fields, stratum_of
from fieldeval.records.production import ProductionRecord


@dataclass(frozen=True)
class SampledExample:
    record: ProductionRecord  # the group's first call: its input and output become the example's
    stratum: str
    calls: int  # production calls with this input (near-identical ones included)
    inclusion_probability: float  # n_h/G_h
    stratum_fraction: float  # n_h/N_h: one call per drawn input is measured
    stratum_calls: int  # N_h

    @property
    def weight(self) -> float:
        return self.calls / self.inclusion_probability


@dataclass(frozen=True)
class StratumDraw:
    name: str
    calls: int  # N_h
    inputs: int  # G_h: distinct inputs after grouping near-duplicates
    drawn: int  # n_h


@dataclass(frozen=True)
class ProductionSample:
    examples: tuple[SampledExample, ...]
    strata: tuple[StratumDraw, ...]
    records: int  # records in the window
    unusable: int  # records without an input or an output (content not captured, errors)


def draw_sample(
    records: Sequence[ProductionRecord],
    n: int,
    *,
    by: Sequence[str] = (),
    min_per_stratum: int = 5,
    seed: int = 0,
    threshold: float = 0.8,
) -> ProductionSample:
    """Up to `n` examples from `records`, stratified `by` those fields (see the module)."""
    if n <= 0:
        raise ValueError(f"sample size must be positive, got {n}")
    check_fields(records, by)
    usable = [record for record in records if record.captured and record.error is None]
    by_stratum: dict[str, list[ProductionRecord]] = defaultdict(list)
    for record in usable:
        by_stratum[stratum_of(record, by)].append(record)
    groups: dict[str, list[list[ProductionRecord]]] = {}
    for name, members in by_stratum.items():
        leaders = group_duplicates([record.input for record in members], threshold=threshold)
        grouped: dict[int, list[ProductionRecord]] = defaultdict(list)
        for record, leader in zip(members, leaders, strict=True):
            grouped[leader].append(record)
        groups[name] = list(grouped.values())
    calls = {name: len(members) for name, members in by_stratum.items()}
    inputs = {name: len(found) for name, found in groups.items()}
    allocation = allocate(n, calls, inputs, min_per_stratum)
    examples: list[SampledExample] = []
    for name in sorted(groups):
        drawn = allocation[name]
        ranked = sorted(groups[name], key=lambda group: _rank(seed, group[0].id))[:drawn]
        for group in sorted(ranked, key=lambda group: group[0].started_at):
            examples.append(
                SampledExample(
                    group[0],
                    name,
                    len(group),
                    drawn / inputs[name],
                    drawn / calls[name],
                    calls[name],
                )
            )
    return ProductionSample(
        examples=tuple(examples),
        strata=tuple(
            StratumDraw(name, calls[name], inputs[name], allocation[name])
            for name in sorted(groups)
        ),
        records=len(records),
        unusable=len(records) - len(usable),
    )


def allocate(
    n: int, calls: Mapping[str, int], inputs: Mapping[str, int], min_per_stratum: int
) -> dict[str, int]:
    """n_h per stratum: the floor first, then the rest in proportion to calls, capped at G_h.

    The floor is `min_per_stratum`, lowered to n/H when n cannot give every stratum that
    many, and at least one: with more strata than n, each still gets one.
    """
    floor = min(min_per_stratum, max(1, n // max(1, len(calls))))
    allocation = {name: min(floor, inputs[name]) for name in calls}
    while (left := n - sum(allocation.values())) > 0:
        room = {name: inputs[name] - allocation[name] for name in calls}
        room = {name: space for name, space in room.items() if space > 0}
        if not room:
            break
        total = sum(calls[name] for name in room)
        shares = {name: left * calls[name] / total for name in room}
        extra = {name: int(share) for name, share in shares.items()}
        # The largest remainders take the seats the whole parts leave over.
        by_remainder = sorted(room, key=lambda name: (extra[name] - shares[name], name))
        for name in by_remainder[: left - sum(extra.values())]:
            extra[name] += 1
        for name, space in room.items():
            allocation[name] += min(extra[name], space)
    return allocation


def _rank(seed: int, record_id: str) -> str:
    return hashlib.sha256(f"{seed}:{record_id}".encode()).hexdigest()
