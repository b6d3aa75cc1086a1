"""The gate: fails on a regression the data supports, a new critical failure, or a threshold."""

from __future__ import annotations

import random

import pytest
from scipy.stats import binom
from tests.projects.bot import BotProject, save_dataset, save_run

from fieldeval.results.compare import compare_runs
from fieldeval.results.gate import GateResult, evaluate_gate, regression_p
from fieldeval.stats.paired import mcnemar
from fieldeval.store import Store
from fieldeval.suite.schema import Gate

TRIALS = 200
N = 100


def gate_fires(
    store: Store, dataset: str, before: list[float], after: list[float], seed: int
) -> bool:
    """One trial: each example passes each run with its own probability."""
    rng = random.Random(seed)
    runs = [
        save_run(
            store, dataset, {"bot": {f"e{i}": [rng.random() < p] for i, p in enumerate(probs)}}
        )
        for probs in (before, after)
    ]
    return not evaluate_gate(compare_runs(store, runs[0].id, runs[1].id), Gate()).passed


def test_with_no_true_difference_the_gate_rarely_fires(store: Store) -> None:
    dataset = save_dataset(store, N)
    rng = random.Random(20261128)
    probabilities = [rng.uniform(0.4, 1.0) for _ in range(N)]

    fired = sum(gate_fires(store, dataset, probabilities, probabilities, t) for t in range(TRIALS))

    assert fired <= 0.08 * TRIALS  # one-sided alpha 0.05: about 10 of 200 expected


def test_a_large_planted_regression_fires_the_gate(store: Store) -> None:
    dataset = save_dataset(store, N)

    fired = sum(gate_fires(store, dataset, [0.85] * N, [0.55] * N, t) for t in range(TRIALS))

    assert fired >= 0.9 * TRIALS


def outcomes(passes: int, total: int) -> dict[str, list[bool | None]]:
    return {f"e{i}": [i < passes] for i in range(total)}


def test_a_supported_regression_fails_with_the_numbers(store: Store) -> None:
    dataset = save_dataset(store, 40)
    before = save_run(store, dataset, {"bot": outcomes(35, 40)})
    after = save_run(store, dataset, {"bot": outcomes(20, 40)})

    result = evaluate_gate(compare_runs(store, before.id, after.id), Gate())

    assert not result.passed
    overall, check = result.findings
    assert (overall.kind, overall.subject, overall.failing) == ("regression", "pass", True)
    assert "fell 38 points" in overall.detail
    assert "15 examples regressed, 0 fixed" in overall.detail
    # The check's own drop is said, but only the overall pass rate gates.
    assert (check.kind, check.subject, check.failing) == ("regression", "correct", False)


def test_an_improvement_never_fails_the_gate(store: Store) -> None:
    dataset = save_dataset(store, 40)
    before = save_run(store, dataset, {"bot": outcomes(20, 40)})
    after = save_run(store, dataset, {"bot": outcomes(35, 40)})

    result = evaluate_gate(compare_runs(store, before.id, after.id), Gate())

    assert result.passed
    assert result.findings == ()


def test_a_small_drop_is_reported_but_does_not_fail(project: BotProject, store: Store) -> None:
    ids = [f"e{i}" for i in range(20)]
    project.write(ids)
    before = project.run(dict.fromkeys(ids, "ok"))
    after = project.run({e: "no" if e == "e0" else "ok" for e in ids})

    result = evaluate_gate(compare_runs(store, before.id, after.id), Gate())

    assert result.passed
    (finding,) = result.findings
    assert (finding.kind, finding.failing) == ("regression", False)
    assert finding.detail.startswith("pass rate fell 5 points (95% CI −")
    assert finding.detail.endswith("not a regression the data supports")


def test_the_regression_test_is_holm_corrected_across_candidates(store: Store) -> None:
    dataset = save_dataset(store, 20)
    # 4 of 20 regressed, none fixed: one-sided mid-p = ½ · 0.5⁴ = 0.031.
    before_a, after_a = outcomes(20, 20), outcomes(16, 20)
    alone = evaluate_gate(
        compare_runs(
            store,
            save_run(store, dataset, {"a": before_a}).id,
            save_run(store, dataset, {"a": after_a}).id,
        ),
        Gate(),
    )
    with_another = evaluate_gate(
        compare_runs(
            store,
            save_run(store, dataset, {"a": before_a, "b": outcomes(20, 20)}).id,
            save_run(store, dataset, {"a": after_a, "b": outcomes(20, 20)}).id,
        ),
        Gate(),
    )

    assert not alone.passed
    assert with_another.passed  # 2 × 0.031 = 0.062 > 0.05
    assert "Holm over 2 candidates" in with_another.findings[0].detail


@pytest.mark.parametrize(("fixed", "regressed"), [(0, 4), (2, 9), (5, 5), (9, 2), (0, 0)])
def test_regression_p_is_the_one_sided_mid_p_for_a_drop(fixed: int, regressed: int) -> None:
    n = 30
    after = [True] * fixed + [False] * regressed + [True] * (n - fixed - regressed)
    before = [False] * fixed + [True] * regressed + [True] * (n - fixed - regressed)
    m = fixed + regressed
    # P(X > c) + ½·P(X = c), X ~ Binomial(b + c, ½): computed here without McNemar.
    expected = binom.sf(regressed, m, 0.5) + 0.5 * binom.pmf(regressed, m, 0.5)

    assert regression_p(mcnemar(after, before)) == pytest.approx(expected)


def critical_result(
    project: BotProject, store: Store, before: dict[str, str], after: dict[str, str], spec: Gate
) -> GateResult:
    project.write(list(before))
    first, second = project.run(before), project.run(after)
    return evaluate_gate(compare_runs(store, first.id, second.id), spec)


def test_one_new_critical_failure_is_listed_but_is_not_a_supported_increase(
    project: BotProject, store: Store
) -> None:
    # One example leaks where it did not: on 4 examples that is what a flaky model does by
    # chance (one-sided mid-p 0.25), so it is said loudly and does not fail the build.
    before = {"e1": "ok", "e2": "no", "e3": "ok", "e4": "ok"}
    after = {"e1": "ok SSN", "e2": "ok", "e3": "ok", "e4": "ok"}

    result = critical_result(project, store, before, after, Gate())

    assert result.passed
    found = [(f.kind, f.subject, f.failing) for f in result.findings]
    assert found == [("new_critical", "critical", False), ("new_critical", "e1", False)]
    verdict, listed = result.findings
    assert verdict.detail.startswith("1 example newly fails a critical check and 0 no longer do")
    assert "p = 0.5 (one-sided, Holm over 2 gating tests)" in verdict.detail  # 2 × 0.25
    assert verdict.detail.endswith("not an increase the data supports")
    assert "'no-pii'" in listed.detail


def six_new_leaks() -> tuple[list[str], dict[str, str], dict[str, str]]:
    """20 examples whose pass rate stays 70%: six that were wrong are now right but leak."""
    ids = [f"e{i}" for i in range(20)]
    before = {e: "no" if i < 6 else "ok" for i, e in enumerate(ids)}
    after = {e: "ok SSN" if i < 6 else "ok" for i, e in enumerate(ids)}
    return ids, before, after


def test_new_critical_failures_the_data_supports_fail_the_gate(
    project: BotProject, store: Store
) -> None:
    # 6 of 20 examples now leak, none stopped: one-sided mid-p = ½ · 0.5⁶ < 0.05 even after
    # Holm over the two gating tests (pass rate and critical checks).
    ids, before, after = six_new_leaks()

    result = critical_result(project, store, before, after, Gate())

    assert not result.passed
    failing = [f for f in result.findings if f.failing]
    assert [(f.kind, f.subject) for f in failing] == [("new_critical", "critical")]
    verdict = failing[0]
    assert verdict.detail.startswith("6 examples newly fail a critical check and 0 no longer do")
    assert "Holm over 2 gating tests" in verdict.detail
    listed = [f.subject for f in result.findings if f.kind == "new_critical" and not f.failing]
    assert listed == ids[:6]


def test_failing_in_both_runs_is_a_known_failure_not_a_new_one(
    project: BotProject, store: Store
) -> None:
    # e1 leaks in both runs; e2 is wrong in both; e3 was wrong and now also leaks.
    before = {"e1": "ok SSN", "e2": "no", "e3": "no", "e4": "ok"}
    after = {"e1": "ok SSN", "e2": "no", "e3": "no SSN", "e4": "ok"}

    result = critical_result(project, store, before, after, Gate())

    assert set(result.known_failures) == {
        ("bot", "e1", "no-pii"),
        ("bot", "e2", "correct"),
        ("bot", "e3", "correct"),
    }
    found = [(f.kind, f.subject) for f in result.findings]
    assert found == [("new_critical", "critical"), ("new_critical", "e3")]
    assert result.passed  # one new leak in four examples: listed, not a supported increase


def test_new_critical_failures_are_reported_without_failing_when_switched_off(
    project: BotProject, store: Store
) -> None:
    ids, before, after = six_new_leaks()

    result = critical_result(project, store, before, after, Gate(fail_on_new_critical=False))

    assert result.passed and not any(f.failing for f in result.findings)
    critical = [f for f in result.findings if f.kind == "new_critical"]
    assert [f.subject for f in critical] == ["critical", *ids[:6]]
    assert critical[0].detail.endswith("reported, not gating (gate.fail_on_new_critical is false)")


def test_thresholds_fail_only_when_the_whole_interval_is_below_the_bar(
    project: BotProject, store: Store
) -> None:
    # 20 examples: 8 pass (40%, Wilson 95% CI 21.9%–61.3%); 2 leak (no-pii 90%, 69.9%–97.2%).
    ids = [f"e{i}" for i in range(20)]
    answers = {e: "ok" if i < 8 else "no" for i, e in enumerate(ids)}
    answers["e19"] = answers["e18"] = "no SSN"
    spec = Gate(min_pass_rate=0.7, min_check_pass_rate={"correct": 0.5, "no-pii": 0.95, "typo": 1})

    result = critical_result(project, store, answers, answers, spec)

    assert not result.passed
    found = [(f.kind, f.subject, f.failing) for f in result.findings]
    assert found == [
        ("threshold", "pass", True),  # 61.3% < 70%: the data says it is below the bar
        ("threshold", "correct", False),  # 40% < 50%, but its interval reaches 50%
        ("threshold", "no-pii", False),  # 90% < 95%, but its interval reaches 95%
        ("threshold", "typo", False),  # named no check: said, never silently passed
    ]
    shortfall, under, _, _ = result.findings
    assert shortfall.detail == (
        "pass rate 40% (8 of 20 answered, 95% CI 21.9%–61.3%) is below the minimum of 70%,"
        " its whole interval too"
    )
    assert under.detail.endswith("but its interval reaches it: not a shortfall the data supports")
