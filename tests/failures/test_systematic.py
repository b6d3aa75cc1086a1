"""Systematic or random: the tests against scipy and hand computations, then planted runs."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pytest
from scipy import stats as sps

from fieldeval.failures.rates import LabelledOutput
from fieldeval.failures.systematic import SystematicReport, systematic
from fieldeval.stats.paired import benjamini_hochberg
from fieldeval.stats.significance import dispersion, fisher_risk, sign_test
from fieldeval.suite.failure_modes import Direction, FailureMode

Z = float(sps.norm.ppf(0.975))


def _mode(mode_id: str, severity: str = "major", direction: Direction | None = None) -> FailureMode:
    return FailureMode.model_validate(
        {"id": mode_id, "definition": f"{mode_id}.", "severity": severity, "direction": direction}
    )


def _out(
    candidate: str,
    example: str,
    *labels: str,
    repeat: int = 0,
    slices: dict[str, str] | None = None,
) -> LabelledOutput:
    return LabelledOutput(candidate, example, repeat, slices or {}, frozenset(labels))


def _verdict(report: SystematicReport, mode_id: str) -> tuple[str, tuple[str, ...]]:
    (verdict,) = (v for v in report.verdicts if v.mode_id == mode_id)
    return verdict.label, verdict.reasons


# --- Fisher and the risk ratio --------------------------------------------------------


@pytest.mark.parametrize("cells", [(8, 10, 4, 40), (3, 10, 0, 20), (0, 12, 5, 30), (7, 7, 2, 9)])
def test_fisher_p_matches_scipy(cells: tuple[int, int, int, int]) -> None:
    a, n_in, c, n_out = cells
    expected = sps.fisher_exact([[a, n_in - a], [c, n_out - c]], alternative="greater").pvalue
    assert fisher_risk(*cells)[0] == pytest.approx(expected, rel=1e-12)


def test_risk_ratio_by_hand() -> None:
    # RR = (8/10)/(4/40) = 8;  se = sqrt(1/8 − 1/10 + 1/4 − 1/40) = sqrt(0.25) = 0.5
    _, ratio, low, high = fisher_risk(8, 10, 4, 40)
    assert ratio == pytest.approx(8.0)
    assert low == pytest.approx(8 * math.exp(-Z * 0.5))
    assert high == pytest.approx(8 * math.exp(Z * 0.5))


@pytest.mark.parametrize("cells", [(8, 10, 4, 40), (3, 10, 0, 20), (7, 7, 2, 9), (1, 30, 5, 12)])
def test_risk_ratio_matches_statsmodels(cells: tuple[int, int, int, int]) -> None:
    from statsmodels.stats.contingency_tables import Table2x2

    a, n_in, c, n_out = cells
    table = [[a, n_in - a], [c, n_out - c]]
    if min(min(row) for row in table) == 0:
        table = [[cell + 0.5 for cell in row] for row in table]
    expected = Table2x2(table)
    _, ratio, low, high = fisher_risk(*cells)
    assert ratio == pytest.approx(expected.riskratio)
    assert (low, high) == pytest.approx(tuple(expected.riskratio_confint(method="normal")))


def test_risk_ratio_zero_cell_correction() -> None:
    # c = 0: every cell + 0.5, so a = 3.5 of 11 against c = 0.5 of 21.
    _, ratio, low, high = fisher_risk(3, 10, 0, 20)
    expected = (3.5 / 11) / (0.5 / 21)
    se = math.sqrt(1 / 3.5 - 1 / 11 + 1 / 0.5 - 1 / 21)
    assert ratio == pytest.approx(expected)
    assert low == pytest.approx(expected * math.exp(-Z * se))
    assert high == pytest.approx(expected * math.exp(Z * se))
    # A zero in a "no failure" cell triggers it too: 7 of 7.
    _, ratio, _, _ = fisher_risk(7, 7, 2, 9)
    assert ratio == pytest.approx((7.5 / 8) / (2.5 / 10))


def test_risk_ratio_undefined_without_a_side() -> None:
    p, ratio, low, high = fisher_risk(0, 0, 3, 10)
    assert (ratio, low, high) == (None, None, None)
    assert p == pytest.approx(1.0)


def test_fisher_rejects_impossible_counts() -> None:
    with pytest.raises(ValueError):
        fisher_risk(5, 4, 0, 10)
    with pytest.raises(ValueError):
        fisher_risk(1, 4, -1, 10)


# --- sign test and dispersion ---------------------------------------------------------


@pytest.mark.parametrize(("up", "down"), [(18, 2), (2, 18), (5, 5), (7, 0), (1, 0)])
def test_sign_test_matches_scipy(up: int, down: int) -> None:
    expected = sps.binomtest(up, up + down, 0.5).pvalue
    assert sign_test(up, down) == pytest.approx(expected, rel=1e-12)


def test_sign_test_worked_values() -> None:
    assert sign_test(18, 2) == pytest.approx(2 * 211 / 2**20)  # 2·(1 + 20 + 190)/2²⁰
    assert sign_test(5, 5) == pytest.approx(1.0)
    assert sign_test(0, 0) is None


def test_dispersion_by_hand() -> None:
    # K = 3, f = [3, 3, 0, 0, 1, 2]: p̄ = 9/18 = ½, K p̄ = 1.5, K p̄ (1 − p̄) = 0.75,
    # Σ (f − 1.5)² = 4·2.25 + 2·0.25 = 9.5, X² = 9.5/0.75, df = 5.
    statistic, df, p = dispersion([3, 3, 0, 0, 1, 2], 3)
    assert statistic == pytest.approx(9.5 / 0.75)
    assert df == 5
    assert p == pytest.approx(sps.chi2.sf(9.5 / 0.75, 5))


def test_dispersion_undefined_cases() -> None:
    assert dispersion([0, 0, 0], 3) == (None, 2, None)  # p̄ = 0
    assert dispersion([3, 3], 3) == (None, 1, None)  # p̄ = 1
    assert dispersion([2], 3) == (None, 0, None)  # one example
    assert dispersion([1, 0, 1], 1) == (None, 2, None)  # no repeats
    with pytest.raises(ValueError):
        dispersion([4, 0], 3)


# --- slices: the planted run ----------------------------------------------------------

PRODUCTS = ("Mortgage", "Card", "Loan", "Savings")
REGIONS = ("North", "South", "West")
SLICE_MODES = (_mode("wrong-rate"), _mode("stiff-tone", "cosmetic"))


def _slice_run(seed: int, examples: int = 120) -> list[LabelledOutput]:
    """Two candidates; wrong-rate at 0.6 on Mortgage and 0.05 elsewhere, stiff-tone 0.15 flat."""
    rng = np.random.default_rng(seed)
    products = rng.choice(PRODUCTS, size=examples)
    regions = rng.choice(REGIONS, size=examples)
    outputs = []
    for candidate in ("gemma-one-shot", "gemma-few-shot"):
        for i in range(examples):
            labels = []
            if rng.random() < (0.6 if products[i] == "Mortgage" else 0.05):
                labels.append("wrong-rate")
            if rng.random() < 0.15:
                labels.append("stiff-tone")
            slices = {"product": str(products[i]), "region": str(regions[i])}
            outputs.append(_out(candidate, f"ex-{i}", *labels, slices=slices))
    return outputs


@pytest.mark.parametrize("seed", range(5))
def test_planted_slice_is_systematic_and_noise_is_random(seed: int) -> None:
    report = systematic(_slice_run(seed), SLICE_MODES, slice_names=("product", "region"))

    label, reasons = _verdict(report, "wrong-rate")
    assert label == "systematic"
    assert reasons[0].startswith("concentrated in product = Mortgage")
    # Other slices may come up too (a region that happens to hold more mortgages), but
    # Mortgage is found in each candidate and pooled.
    for scope in ("for gemma-one-shot", "for gemma-few-shot", "across candidates"):
        assert any(f"product = Mortgage {scope}: " in reason for reason in reasons)

    # Holds on these five seeds; about 18% of seeds call the flat mode systematic, which
    # the next test measures rather than hides.
    label, reasons = _verdict(report, "stiff-tone")
    assert label == "random"
    assert reasons == ("spread across slices (no slice stands out after correction)",)


def test_noise_is_rarely_called_systematic_across_seeds() -> None:
    """Over 40 runs the planted mode is always found; the flat one is mostly called random.

    A pure-noise mode is tested in 21 slices here, at a false discovery rate of 0.10, and
    the planted mode's mirror-image tests (the other products, RR < 1) count as BH
    discoveries too: about 18% of runs call it systematic (91 of 500 seeds when checked).
    Uncorrected (p ≤ 0.10, RR > 1) about half would.
    """
    noise_random = uncorrected = 0
    for seed in range(100, 140):
        report = systematic(_slice_run(seed), SLICE_MODES, slice_names=("product", "region"))
        assert _verdict(report, "wrong-rate")[0] == "systematic"
        noise_random += _verdict(report, "stiff-tone")[0] == "random"
        uncorrected += any(
            t.p <= 0.10 and (t.risk_ratio or 0) > 1
            for t in report.slices
            if t.mode_id == "stiff-tone"
        )
    assert noise_random >= 27  # expected ≈ 33 of 40 (31 with these seeds)
    assert 40 - noise_random < uncorrected  # 9 against 20 with these seeds


def test_slice_tests_cover_every_value_scope_and_are_adjusted_together() -> None:
    report = systematic(_slice_run(0), SLICE_MODES, slice_names=("product", "region"))

    scopes = {"gemma-one-shot", "gemma-few-shot", None}
    expected = {
        (mode.id, scope, name, value)
        for mode in SLICE_MODES
        for scope in scopes
        for name, values in (("product", PRODUCTS), ("region", REGIONS))
        for value in values
    }
    assert {(t.mode_id, t.candidate_id, t.slice_name, t.slice_value) for t in report.slices} == (
        expected
    )
    assert [t.q for t in report.slices] == benjamini_hochberg([t.p for t in report.slices])
    for test in report.slices:
        assert test.n_in + test.n_out == (240 if test.candidate_id is None else 120)
        assert test.significant == (test.q <= 0.10 and (test.risk_ratio or 0) > 1)
        assert test.exploratory == (min(test.n_in, test.n_out) < 10)


def test_pooled_tests_need_two_candidates() -> None:
    outputs = [o for o in _slice_run(0) if o.candidate_id == "gemma-one-shot"]
    report = systematic(outputs, SLICE_MODES, slice_names=("product",))
    assert {t.candidate_id for t in report.slices} == {"gemma-one-shot"}


def test_small_slice_is_marked_exploratory() -> None:
    outputs = [
        _out("a", f"e{i}", *(("wrong-rate",) if i < 6 else ()), slices={"lang": "fr"})
        for i in range(6)
    ] + [
        _out("a", f"f{i}", *(("wrong-rate",) if i < 1 else ()), slices={"lang": "en"})
        for i in range(60)
    ]
    report = systematic(outputs, (_mode("wrong-rate"),), slice_names=("lang",))

    fr = next(t for t in report.slices if t.slice_value == "fr")
    assert fr.exploratory and fr.significant
    label, reasons = _verdict(report, "wrong-rate")
    assert label == "systematic"
    assert reasons[0].startswith("concentrated in lang = fr for a: 6 of 6 against 1 of 60")
    assert reasons[0].endswith("(exploratory: small slice)")


def test_outputs_without_the_slice_are_left_out() -> None:
    outputs = [_out("a", "e1", "wrong-rate", slices={"lang": "fr"}), _out("a", "e2")]
    outputs += [_out("a", f"f{i}", slices={"lang": "en"}) for i in range(3)]
    report = systematic(outputs, (_mode("wrong-rate"),), slice_names=("lang",))
    assert {(t.slice_value, t.n_in, t.n_out) for t in report.slices} == {("en", 3, 1), ("fr", 1, 3)}


# --- repeats --------------------------------------------------------------------------


def _repeat_run(seed: int, examples: int = 120, repeats: int = 3) -> list[LabelledOutput]:
    """`sticky` fails on a fixed 15% of examples every time; `flaky` on 15% of outputs."""
    rng = np.random.default_rng(seed)
    sticky = set(rng.choice(examples, size=18, replace=False).tolist())
    return [
        _out(
            "gemma-one-shot",
            f"ex-{i}",
            *(("sticky",) if i in sticky else ()),
            *(("flaky",) if rng.random() < 0.15 else ()),
            repeat=r,
        )
        for i in range(examples)
        for r in range(repeats)
    ]


REPEAT_MODES = (_mode("sticky"), _mode("flaky"))


@pytest.mark.parametrize("seed", range(5))
def test_sticky_failures_are_systematic_flaky_ones_random(seed: int) -> None:
    report = systematic(_repeat_run(seed), REPEAT_MODES, slice_names=())

    sticky = next(c for c in report.consistency if c.mode_id == "sticky")
    assert (sticky.repeats, sticky.always, sticky.flaky, sticky.never) == (3, 18, 0, 102)
    label, reasons = _verdict(report, "sticky")
    assert label == "systematic"
    assert reasons == (
        "sticks to the same examples across 3 repeats for gemma-one-shot:"
        " 18 always fail, 0 flaky, 102 never (dispersion p < 0.001)",
    )

    flaky = next(c for c in report.consistency if c.mode_id == "flaky")
    assert flaky.always + flaky.flaky + flaky.never == 120
    label, reasons = _verdict(report, "flaky")
    assert label == "random"
    assert len(reasons) == 1
    assert reasons[0].startswith("does not stick to examples across repeats")


def test_consistency_uses_the_most_common_repeat_count() -> None:
    outputs = [_out("a", f"e{i}", "m", repeat=r) for i in range(4) for r in range(3)]
    outputs += [_out("a", "e9", "m"), _out("a", "e8", repeat=0), _out("a", "e8", repeat=1)]
    outputs += [_out("a", f"z{i}", repeat=r) for i in range(4) for r in range(3)]
    report = systematic(outputs, (_mode("m"),), slice_names=())

    (test,) = report.consistency
    assert (test.repeats, test.always, test.flaky, test.never) == (3, 4, 0, 4)
    expected = dispersion([3, 3, 3, 3, 0, 0, 0, 0], 3)
    assert (test.dispersion, test.df, test.p) == expected


def test_no_consistency_without_repeats() -> None:
    outputs = [_out("a", f"e{i}", *(["m"] if i < 2 else [])) for i in range(5)]
    report = systematic(outputs, (_mode("m"),), slice_names=())
    assert report.consistency == ()
    assert _verdict(report, "m") == (
        "random",
        ("no slice, direction or repeats to test it against",),
    )


def test_a_mode_on_most_outputs_is_systematic_though_no_slice_stands_out() -> None:
    # Everywhere is not noise: 25 of 25 in every slice leaves the slice tests nothing to find.
    outputs = [_out("a", f"e{i}", "m", slices={"s": "xy"[i % 2]}) for i in range(25)]
    outputs += [
        _out("b", f"e{i}", *(["m"] if i < 3 else []), slices={"s": "xy"[i % 2]}) for i in range(25)
    ]
    label, reasons = _verdict(systematic(outputs, (_mode("m"),), slice_names=("s",)), "m")
    assert label == "systematic"
    assert reasons[0].startswith("on most of a's outputs: 25 of 25")
    assert not any("b's outputs" in reason for reason in reasons)  # 3 of 25 is not most


# --- direction ------------------------------------------------------------------------

LENGTH_MODES = (
    _mode("too-long", "minor", Direction(axis="length", sign="up")),
    _mode("too-short", "minor", Direction(axis="length", sign="down")),
)


def _direction_run(seed: int, up: int, down: int, outputs: int = 100) -> list[LabelledOutput]:
    order = np.random.default_rng(seed).permutation(outputs)
    labels = ["too-long"] * up + ["too-short"] * down + [""] * (outputs - up - down)
    return [
        _out("a", f"e{int(i)}", *([label] if label else []))
        for i, label in zip(order, labels, strict=True)
    ]


@pytest.mark.parametrize("seed", range(3))
def test_one_sided_length_failures_are_systematic(seed: int) -> None:
    report = systematic(_direction_run(seed, 18, 2), LENGTH_MODES, slice_names=())

    (test,) = report.directions
    assert (test.axis, test.up_mode, test.down_mode, test.up, test.down) == (
        "length",
        "too-long",
        "too-short",
        18,
        2,
    )
    assert test.p == pytest.approx(sps.binomtest(18, 20).pvalue)
    assert _verdict(report, "too-long") == (
        "systematic",
        (
            "leans one way on length for a: 18 too-long (this mode's side)"
            " against 2 too-short (p < 0.001)",
        ),
    )
    label, reasons = _verdict(report, "too-short")
    assert label == "random"
    assert reasons[0].startswith("leans the other way on length for a: 2 too-short")


def test_balanced_length_failures_are_random() -> None:
    report = systematic(_direction_run(0, 10, 9), LENGTH_MODES, slice_names=())
    for mode_id in ("too-long", "too-short"):
        assert _verdict(report, mode_id) == (
            "random",
            ("no lean on length (smallest sign test p = 1.00)",),
        )


def test_directions_pooled_over_candidates() -> None:
    outputs = [_out("a", f"e{i}", "too-long") for i in range(6)]
    outputs += [_out("b", f"e{i}", "too-long") for i in range(6)]
    outputs += [_out("b", "e9", "too-short"), _out("b", "e8", "too-long", "too-short")]
    report = systematic(outputs, LENGTH_MODES, slice_names=())

    counts = {t.candidate_id: (t.up, t.down) for t in report.directions}
    # An output both too long and too short counts for neither side.
    assert counts == {"a": (6, 0), "b": (6, 1), None: (12, 1)}
    label, reasons = _verdict(report, "too-long")
    assert label == "systematic"
    assert any("across candidates: 12 too-long" in reason for reason in reasons)


# --- verdicts and examples everyone fails ---------------------------------------------


def test_unseen_mode() -> None:
    modes = (_mode("seen"), _mode("never"))
    report = systematic([_out("a", "e1", "seen"), _out("a", "e2")], modes, slice_names=())
    assert [v.label for v in report.verdicts] == ["random", "not seen"]
    assert report.slices == ()


def test_all_fail() -> None:
    modes = (_mode("wrong"), _mode("noted", "none"))
    outputs: Sequence[LabelledOutput] = [
        # every candidate fails every repeat: listed
        _out("a", "e1", "wrong", repeat=0),
        _out("a", "e1", "wrong", repeat=1),
        _out("b", "e1", "wrong", "noted"),
        # b passes one repeat
        _out("a", "e2", "wrong"),
        _out("b", "e2", "wrong", repeat=0),
        _out("b", "e2", repeat=1),
        # only a answered
        _out("a", "e3", "wrong"),
        # b's only label is a "none" mode
        _out("a", "e4", "wrong"),
        _out("b", "e4", "noted"),
        # both fail: listed, and sorted
        _out("b", "e0", "wrong"),
        _out("a", "e0", "unknown-mode", "wrong"),
    ]
    assert systematic(outputs, modes, slice_names=()).all_fail == ("e0", "e1")
