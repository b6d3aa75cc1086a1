"""Small-sample tests behind the systematic-or-random verdicts: Fisher, sign, dispersion."""

from __future__ import annotations

import math
from collections.abc import Sequence

from fieldeval.stats.intervals import Z95


def fisher_risk(
    failures_in: int, n_in: int, failures_out: int, n_out: int
) -> tuple[float, float | None, float | None, float | None]:
    """(Fisher p, risk ratio, low, high): log-scale CI, 0.5 added to each cell if one is 0.

    p is Fisher's exact one-sided test ("greater") on [[a, n_in − a], [c, n_out − c]], with
    a = failures_in and c = failures_out: the question is whether the mode concentrates in
    the slice. A two-sided p would let a slice's deficit (the mirror image of a concentration
    elsewhere) count as a discovery and loosen Benjamini–Hochberg for every other test.
    RR = (a/n_in)/(c/n_out), and its 95% interval exp(ln RR ± z·sqrt(1/a − 1/n_in + 1/c −
    1/n_out)) (Katz), the same as statsmodels' `Table2x2.riskratio_confint` (checked in the
    tests; statsmodels is not a dependency of the tool, and scipy's `relative_risk` takes no
    fractional cells). When any cell is 0, every cell gets 0.5 (so each n gets 1) for RR and
    its interval. RR and interval are None when n_in or n_out is 0.
    """
    for failures, n in ((failures_in, n_in), (failures_out, n_out)):
        if not 0 <= failures <= n:
            raise ValueError(f"failures must be between 0 and n, got {failures} of {n}")
    from scipy.stats import fisher_exact

    table = [[failures_in, n_in - failures_in], [failures_out, n_out - failures_out]]
    p = float(fisher_exact(table, alternative="greater").pvalue)
    if n_in == 0 or n_out == 0:
        return p, None, None, None
    a, c, total_in, total_out = float(failures_in), float(failures_out), float(n_in), float(n_out)
    if min(failures_in, n_in - failures_in, failures_out, n_out - failures_out) == 0:
        a, c, total_in, total_out = a + 0.5, c + 0.5, total_in + 1, total_out + 1
    ratio = (a / total_in) / (c / total_out)
    half = Z95 * math.sqrt(1 / a - 1 / total_in + 1 / c - 1 / total_out)
    return p, ratio, ratio * math.exp(-half), ratio * math.exp(half)


def sign_test(up: int, down: int) -> float | None:
    """Exact two-sided sign test: p of `up` among up + down under Binomial(up + down, ½).

    None without any directional failure.
    """
    if up < 0 or down < 0:
        raise ValueError(f"counts must be non-negative, got up={up}, down={down}")
    if up + down == 0:
        return None
    from scipy.stats import binomtest

    return float(binomtest(up, up + down, 0.5).pvalue)


def dispersion(failures: Sequence[int], repeats: int) -> tuple[float | None, int, float | None]:
    """(X², df, p) of the binomial dispersion test over per-example failure counts.

    With f_i failures of K = repeats on each of n examples and p̄ = Σ f_i / (nK):
    X² = Σ_i (f_i − K p̄)² / (K p̄ (1 − p̄)), df = n − 1, p = P(χ²_df ≥ X²). X² well above
    df means failures stick to particular examples. X² and p are None when p̄ is 0 or 1,
    n < 2 or K < 2: nothing varies, or there is nothing to compare.
    """
    n = len(failures)
    if any(not 0 <= f <= repeats for f in failures):
        raise ValueError(f"every failure count must be between 0 and {repeats}")
    df = max(n - 1, 0)
    total = sum(failures)
    if n < 2 or repeats < 2 or total in (0, n * repeats):
        return None, df, None
    mean = total / (n * repeats)
    expected = repeats * mean
    statistic = math.fsum((f - expected) ** 2 for f in failures) / (expected * (1 - mean))
    from scipy.stats import chi2

    return statistic, df, float(chi2.sf(statistic, df))
