"""Has production traffic moved since a baseline period? Four tests and the new inputs found.

Each test compares the later period's records with the baseline's:

- **slice mix**, per stratum field: a χ² test of the 2 × K table of counts (values expected
  fewer than 5 times pooled as "other");
- **input length**: a two-sample Kolmogorov–Smirnov test on input lengths in characters;
- **language**: the χ² test on each input's detected language (py3langid);
- **new inputs**: the baseline is split at random into a reference half R and a held-out
  half H; an input is *new* when its highest trigram similarity (`similarity`) to any of R
  is under `novelty`. Under no drift, H and the later period are alike draws, so a one-sided
  Fisher exact test of "more of the later period is new than of H" is exact.

Holm's adjustment across every test keeps the chance that an unchanged period reports any
drift at `alpha` (simulated in the tests). The later inputs new against the whole baseline
(and against the eval set, when given) are grouped into clusters of inputs like each other,
the candidates to add to the eval set.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from fieldeval.production.strata import check_fields, field_value
from fieldeval.records.production import ProductionRecord

NOVELTY = 0.25  # below this similarity to every reference input, an input is new
CLUSTER_SIMILARITY = 0.2  # new inputs linked at this (single linkage): a language, a topic
MIN_CLUSTER = 3
_POOL_BELOW = 5.0  # expected count under which a value is pooled into "other"


@dataclass(frozen=True)
class DriftTest:
    name: str  # "slice mix: app.route", "input length", "language", "new inputs"
    statistic: str  # "χ² = 12.3 on 4 df"
    p: float
    detail: str  # what moved most, in shares or medians
    adjusted_p: float = 1.0
    drifted: bool = False


@dataclass(frozen=True)
class NewCluster:
    record_ids: tuple[str, ...]
    inputs: tuple[str, ...]  # a few of its inputs, untrusted text
    languages: dict[str, int]
    share: float  # of the later period's records

    @property
    def size(self) -> int:
        return len(self.record_ids)


@dataclass(frozen=True)
class DriftReport:
    baseline: int  # records in the baseline period
    later: int
    alpha: float
    tests: tuple[DriftTest, ...]
    clusters: tuple[NewCluster, ...]
    new_against_evalset: int | None = None  # later inputs unlike every eval-set input

    @property
    def drifted(self) -> bool:
        return any(test.drifted for test in self.tests)


def drift_report(
    baseline: Sequence[ProductionRecord],
    later: Sequence[ProductionRecord],
    *,
    by: Sequence[str] = (),
    evalset_inputs: Sequence[str] | None = None,
    alpha: float = 0.05,
    seed: int = 0,
    novelty: float = NOVELTY,
) -> DriftReport:
    """The tests of the module's docstring on two periods' records with an input."""
    from fieldeval.errors import UserError
    from fieldeval.stats.paired import holm

    check_fields([*baseline, *later], by)
    baseline = [r for r in baseline if r.input]
    later = [r for r in later if r.input]
    if len(baseline) < 4 or len(later) < 2:
        raise UserError(
            f"drift needs records with an input in both periods: {len(baseline)} in the"
            f" baseline, {len(later)} later",
            hint="widen the periods (--baseline-since/--baseline-until, --since/--until)",
        )
    tests = [
        *(_categorical(f"slice mix: {name}", baseline, later, name) for name in by),
        _lengths(baseline, later),
        _categorical("language", baseline, later, None),
        _new_inputs(baseline, later, novelty, seed),
    ]
    adjusted = holm([test.p for test in tests])
    tests = [
        DriftTest(t.name, t.statistic, t.p, t.detail, p, p < alpha)
        for t, p in zip(tests, adjusted, strict=True)
    ]
    clusters, against_evalset = _clusters(baseline, later, evalset_inputs, novelty)
    return DriftReport(len(baseline), len(later), alpha, tuple(tests), clusters, against_evalset)


@lru_cache(maxsize=100_000)
def language(text: str) -> str:
    from fieldeval.checks.language import detect

    return detect(text)[0]


def _value(record: ProductionRecord, name: str | None) -> str:
    return language(record.input) if name is None else field_value(record, name) or "-"


def _categorical(
    name: str,
    baseline: Sequence[ProductionRecord],
    later: Sequence[ProductionRecord],
    field: str | None,
) -> DriftTest:
    from scipy.stats import chi2_contingency

    before = Counter(_value(r, field) for r in baseline)
    after = Counter(_value(r, field) for r in later)
    total = len(baseline) + len(later)
    smaller = min(len(baseline), len(later)) / total
    # Pooled where either period would expect it fewer than 5 times: χ² needs that.
    kept = [v for v in before | after if (before[v] + after[v]) * smaller >= _POOL_BELOW]
    columns = [(before[v], after[v]) for v in kept]
    columns.append(
        (before.total() - sum(b for b, _ in columns), after.total() - sum(a for _, a in columns))
    )
    columns = [column for column in columns if any(column)]  # "other" may be empty
    detail = _moved_most(before, after, len(baseline), len(later))
    if len(columns) < 2:
        return DriftTest(name, "one value only", 1.0, detail)
    table = [[b for b, _ in columns], [a for _, a in columns]]
    result = chi2_contingency(table)
    statistic = f"χ² = {result.statistic:.1f} on {result.dof} df"
    return DriftTest(name, statistic, float(result.pvalue), detail)


def _moved_most(before: Counter[str], after: Counter[str], n_before: int, n_after: int) -> str:
    shifts = sorted(before | after, key=lambda v: -abs(after[v] / n_after - before[v] / n_before))[
        :3
    ]
    return ", ".join(
        f"{v} {100 * before[v] / n_before:.0f}% → {100 * after[v] / n_after:.0f}%" for v in shifts
    )


def _lengths(baseline: Sequence[ProductionRecord], later: Sequence[ProductionRecord]) -> DriftTest:
    from statistics import median

    from scipy.stats import ks_2samp

    before = [len(r.input) for r in baseline]
    after = [len(r.input) for r in later]
    result = ks_2samp(before, after)
    detail = f"median {median(before):.0f} → {median(after):.0f} characters"
    return DriftTest("input length", f"KS D = {result.statistic:.3f}", float(result.pvalue), detail)


def _new_inputs(
    baseline: Sequence[ProductionRecord],
    later: Sequence[ProductionRecord],
    novelty: float,
    seed: int,
) -> DriftTest:
    from scipy.stats import fisher_exact

    from fieldeval.production.similarity import nearest_similarity, trigram_vectors

    order = list(range(len(baseline)))
    random.Random(seed).shuffle(order)
    half = len(order) // 2
    reference = trigram_vectors([baseline[i].input for i in order[:half]])
    held_out = trigram_vectors([baseline[i].input for i in order[half:]])
    new_held = int((nearest_similarity(held_out, reference) < novelty).sum())
    new_later = int(
        (nearest_similarity(trigram_vectors([r.input for r in later]), reference) < novelty).sum()
    )
    n_held = len(order) - half
    table = [[new_later, len(later) - new_later], [new_held, n_held - new_held]]
    result = fisher_exact(table, alternative="greater")
    detail = (
        f"{100 * new_later / len(later):.1f}% of later inputs are unlike the baseline's,"
        f" against {100 * new_held / n_held:.1f}% of the held-out baseline"
    )
    return DriftTest("new inputs", "Fisher exact, one-sided", float(result.pvalue), detail)


def _clusters(
    baseline: Sequence[ProductionRecord],
    later: Sequence[ProductionRecord],
    evalset_inputs: Sequence[str] | None,
    novelty: float,
) -> tuple[tuple[NewCluster, ...], int | None]:
    import numpy as np

    from fieldeval.production.similarity import (
        nearest_similarity,
        similar_groups,
        trigram_vectors,
    )

    vectors = trigram_vectors([r.input for r in later])
    new = nearest_similarity(vectors, trigram_vectors([r.input for r in baseline])) < novelty
    against_evalset = None
    if evalset_inputs is not None:
        unlike_evalset = nearest_similarity(vectors, trigram_vectors(evalset_inputs)) < novelty
        against_evalset = int(unlike_evalset.sum())
        new |= unlike_evalset
    rows = np.flatnonzero(new)
    groups = similar_groups(vectors[rows], CLUSTER_SIMILARITY, min_size=MIN_CLUSTER)
    clusters = []
    for group in groups:
        members = [later[int(rows[i])] for i in group]
        clusters.append(
            NewCluster(
                record_ids=tuple(r.id for r in members),
                inputs=tuple(r.input for r in members[:3]),
                languages=dict(Counter(language(r.input) for r in members).most_common()),
                share=len(members) / len(later),
            )
        )
    return tuple(clusters), against_evalset
