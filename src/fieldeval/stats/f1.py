"""F1 scores of a classification: per label with Wilson's interval through the Jaccard index,
and macro- and micro-F1 with scipy's paired bootstrap over the examples (docs/metrics.md,
"Classification")."""

from __future__ import annotations

import warnings
from typing import Final

import numpy as np
import numpy.typing as npt
from scipy import stats

from fieldeval.stats.agreement import Estimate
from fieldeval.stats.intervals import wilson_bounds

RESAMPLES: Final = 2000
BCA_MAX: Final = 1000  # BCa's jackknife grows with n²: percentile intervals beyond
SEED: Final = 0
# Resampling works on blocks of at most this many draws × examples, so memory stays bounded.
_BLOCK_CELLS: Final = 2_000_000
MACRO: Final = -2  # columns of `f1_scores` after each label's
MICRO: Final = -1


def f1_interval(correct: int, involved: int) -> Estimate:
    """One label's F1 with its 95% interval, from the examples that involve the label
    (its reference or its prediction) and the `correct` ones among them.

    F1 = 2J / (1 + J) with J = correct / involved (the Jaccard index): a rising function
    of a share of `involved` examples, so Wilson's bounds on J carry over to F1.
    """
    if involved == 0:
        return Estimate(None, None, None)
    share = correct / involved
    low, high = wilson_bounds(correct, involved)
    return Estimate(_from_jaccard(share), _from_jaccard(low), _from_jaccard(high))


def _from_jaccard(share: float) -> float:
    return 2 * share / (1 + share)


Ints = npt.NDArray[np.int64]
Floats = npt.NDArray[np.float64]


def f1_scores(reference: Ints, predicted: Ints, labels: int) -> Floats:
    """Per row of examples: each label's F1, then macro-F1, then micro-F1 (nan: undefined).

    F1 = 2·TP / (support + predicted); macro is the mean over the labels with support or
    predictions; micro = 2·ΣTP / (n + examples read as some label).
    """
    classes = np.arange(labels)[None, :, None]
    is_ref = reference[:, None, :] == classes
    is_pred = predicted[:, None, :] == classes
    tp = (is_ref & is_pred).sum(axis=2)
    seen = is_ref.sum(axis=2) + is_pred.sum(axis=2)
    with np.errstate(invalid="ignore", divide="ignore"):
        f1 = np.where(seen > 0, 2 * tp / seen, np.nan)
        present = ~np.isnan(f1)
        macro = np.where(
            present.any(axis=1), np.nansum(f1, axis=1) / np.maximum(present.sum(axis=1), 1), np.nan
        )
        n = reference.shape[1]
        parsed = (predicted < labels).sum(axis=1)
        micro = np.where(n + parsed > 0, 2 * tp.sum(axis=1) / (n + parsed), np.nan)
    return np.column_stack([f1, macro, micro]).astype(np.float64)


def f1_bootstrap(
    reference: Ints, predicted: Ints, labels: int, column: int, value: float, resamples: int
) -> Estimate:
    """`value` (macro- or micro-F1, `column` of `_f1s`) with scipy's paired bootstrap
    interval over the examples: BCa up to BCA_MAX examples, percentile beyond (BCa's
    jackknife grows with n²). No interval where none exists: under 2 examples, or every
    resample gave the same value."""
    if np.isnan(value):
        return Estimate(None, None, None)
    n = len(reference)
    if n < 2 or resamples <= 0:
        return Estimate(value, None, None)

    def statistic(ref: Ints, pred: Ints, axis: int = -1) -> Floats:
        width = ref.shape[-1]  # n, or n − 1 in BCa's jackknife
        flat = f1_scores(ref.reshape(-1, width), pred.reshape(-1, width), labels)[:, column]
        return flat.reshape(ref.shape[:-1])

    with warnings.catch_warnings():
        # A sample with no variation gives nan bounds and a warning: no interval.
        warnings.simplefilter("ignore", stats.DegenerateDataWarning)
        warnings.simplefilter("ignore", RuntimeWarning)
        found = stats.bootstrap(
            (reference, predicted),
            statistic,
            paired=True,
            vectorized=True,
            n_resamples=resamples,
            batch=max(1, _BLOCK_CELLS // (n * max(labels, 1))),
            method="BCa" if n <= BCA_MAX else "percentile",
            rng=np.random.default_rng(SEED),
        ).confidence_interval
    low, high = float(found.low), float(found.high)
    if np.isnan(low) or np.isnan(high) or low == high:
        return Estimate(value, None, None)
    return Estimate(value, low, high)
