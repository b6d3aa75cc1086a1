"""The recommendation's rules and caveats, on hand-built outputs and costs."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime

from tests.projects.outputs import stored_output

from fieldeval.cost.intervals import Interval
from fieldeval.cost.spend import CandidateCost, RunCost
from fieldeval.decision.caveats import judge_caveats
from fieldeval.decision.power import power_note
from fieldeval.decision.readiness import DEFAULT_MAX_CATASTROPHIC, Bars
from fieldeval.decision.recommendation import Recommendation, recommend
from fieldeval.failures.rates import LabelledOutput, candidate_failures
from fieldeval.failures.report import FailureReport
from fieldeval.failures.systematic import systematic
from fieldeval.judge.calibration import calibrate
from fieldeval.judge.corrected import JudgedOutput, corrected_rate
from fieldeval.providers.price_table import PriceSnapshot
from fieldeval.records.check_result import CheckResult
from fieldeval.records.run import RunInfo, StoredOutput
from fieldeval.results.candidates import compare_candidates
from fieldeval.results.rubric import CriterionResult
from fieldeval.results.summary import summarize
from fieldeval.stats.intervals import wilson
from fieldeval.stats.paired import agresti_min_interval
from fieldeval.suite.candidates import Price
from fieldeval.suite.failure_modes import DEFAULT_WEIGHTS, FailureMode

RUN_DAY = date(2026, 11, 28)


Outcome = bool | None
Outcomes = Sequence[Outcome] | Sequence[tuple[Outcome, ...]]


def outputs(passes: Mapping[str, Outcomes]) -> list[StoredOutput]:
    """Per candidate, one outcome per example (or a tuple: its repeats): True passes, False
    fails, None is an error."""
    found: list[StoredOutput] = []
    for candidate, results in passes.items():
        for i, result in enumerate(results):
            for repeat, passed in enumerate(result if isinstance(result, tuple) else (result,)):
                found.append(_output(len(found), candidate, f"e{i}", repeat, passed))
    return found


def _output(
    position: int, candidate: str, example: str, repeat: int, passed: Outcome
) -> StoredOutput:
    if passed is None:
        return stored_output(position, candidate, example, repeat=repeat, error_kind="timeout")
    checks = (CheckResult("ok", passed, "checked"),)
    return stored_output(position, candidate, example, repeat=repeat, checks=checks)


def priced(
    candidate: str, per_request: float | None, *, table: date | None = None
) -> CandidateCost:
    snapshot = None
    if per_request is not None:
        source = "suite" if table is None else "table"
        snapshot = PriceSnapshot(Price(input_per_mtok=1.0), source, "gpt-x", table)
    value = None if per_request is None else Interval(per_request, per_request, per_request)
    return CandidateCost(
        candidate_id=candidate,
        price=snapshot,
        outputs=40,
        priced=40 if per_request is not None else 0,
        passes=0,
        total_usd=None if per_request is None else 40 * per_request,
        per_request=value,
        per_request_p50=per_request,
        per_request_p95=per_request,
        per_success=None,
        retry_rate=0.0,
        estimated=False,
        judge_usd=None,
        monthly=None,
    )


def decide(
    passes: Mapping[str, Outcomes],
    costs: Mapping[str, float | None],
    *,
    min_pass_rate: float | None = None,
    table: date | None = None,
    failures: FailureReport | None = None,
    bars: Bars | None = None,
    criteria: Sequence[CriterionResult] = (),
) -> Recommendation:
    stored = outputs(passes)
    run = RunInfo(
        id="r1",
        suite_name="s",
        suite_path="suite.yaml",
        suite_hash="h",
        suite={},
        dataset_hash="d",
        status="finished",
        repeats=max(o.repeat for o in stored) + 1,
        n_planned=len(stored),
        fieldeval_version="0",
        started_at=datetime(2026, 11, 28, tzinfo=UTC),
        finished_at=None,
        candidates=tuple(passes),
    )
    summary = summarize(run, stored)
    pairs = compare_candidates(stored, list(passes))
    cost = RunCost(
        "r1",
        tuple(priced(c, value, table=table) for c, value in costs.items()),
        judge_calls=0,
        judge_usd=None,
        total_usd=None,
    )
    return recommend(
        summary=summary,
        pairs=pairs,
        cost=cost,
        failures=failures,
        latency={},
        power=power_note(summary, pairs),
        calibration=(),
        judged_criteria=(),
        bars=bars or Bars(DEFAULT_MAX_CATASTROPHIC, True, min_pass_rate),
        run_date=RUN_DAY,
        suite_path="suite.yaml",
        criteria=criteria,
    )


# 40 examples: a passes 30, b passes 32 (the two disagree on 2), c passes 5.
A = [True] * 30 + [False] * 10
B = [True] * 32 + [False] * 8
C = [True] * 5 + [False] * 35


def test_without_a_price_in_the_top_group_the_best_is_recommended() -> None:
    rec = decide({"a": A, "b": B, "c": C}, {"a": 0.001, "b": None, "c": 0.0001})
    assert rec.top_group == ("b", "a")
    assert rec.candidate_id == "b"
    assert rec.sentence.startswith("Recommend b: the highest pass rate, 80% (95% CI")
    assert rec.caveats[0] == (
        "b and a cannot be separated with n=40; b has no price, so cost could not decide"
        " between them."
    )
    assert "No price for b: set `price:` on it in suite.yaml (US dollars per million tokens)." in (
        rec.caveats
    )


def test_a_candidate_the_data_separates_from_the_best_is_not_recommended_for_its_price() -> None:
    rec = decide({"a": A, "c": C}, {"a": 0.01, "c": 0.0001})
    assert rec.top_group == ("a",) and rec.candidate_id == "a"
    assert "better than every other candidate by a margin the paired tests support" in rec.sentence


def test_a_table_price_says_how_old_the_table_is() -> None:
    rec = decide({"a": A, "b": B}, {"a": 0.001, "b": 0.002}, table=date(2025, 11, 1))
    assert rec.candidate_id == "a"
    assert (
        "Prices of a, b are from the bundled table dated 2025-11-01, 392 days before this run:"
        " check them." in rec.caveats
    )


def test_errors_and_a_gate_the_best_may_miss_are_caveats() -> None:
    erring: list[bool | None] = [True] * 30 + [None] * 4 + [False] * 6
    rec = decide({"a": erring, "b": B}, {"a": 0.001, "b": 0.002}, min_pass_rate=0.85)
    assert rec.good_enough is True  # b's interval reaches 85%
    assert rec.candidate_id == "a"
    assert any(c.startswith("a's pass rate, 83% (95% CI") for c in rec.caveats)
    assert (
        "a failed to answer 4 of 40 requests after its retries (timeout 4): its pass rate is over"
        " the 36 it answered." in rec.caveats
    )


def test_too_few_examples_to_tell_anything_apart_is_said_plainly() -> None:
    rec = decide({"a": [True, False, True], "b": [False, True, True]}, {"a": 1.0, "b": 2.0})
    assert rec.candidate_id == "a"
    assert (
        "With n=3, no difference between two candidates can be detected reliably (80% power, 5%"
        " level, paired; the share of examples where two of these candidates disagree, ψ=0.67):"
        " add examples." in rec.caveats
    )


def test_nothing_is_recommended_when_no_candidate_answered() -> None:
    rec = decide({"a": [None, None]}, {"a": 0.001})
    assert rec.candidate_id is None and rec.ranking == ()
    assert rec.sentence == "No candidate answered any example: there is nothing to recommend."


def test_a_top_group_member_the_test_puts_above_the_choice_is_named() -> None:
    # a answered ten examples, all passed: tied with b and c there, the best by its rate.
    a: list[bool | None] = [True] * 10 + [None] * 30
    b = [True] * 36 + [False] * 4
    c = [True] * 24 + [False] * 16
    rec = decide({"a": a, "b": b, "c": c}, {"a": 0.003, "b": 0.002, "c": 0.001})
    assert rec.top_group == ("a", "b", "c") and rec.candidate_id == "c"
    assert rec.caveats[0].startswith("c and a cannot be separated with n=10; c is cheaper")
    low, high = agresti_min_interval(12, 0, 40)
    assert rec.caveats[1].startswith(
        f"b is better than c by 30 points (95% CI {100 * low:.0f} to {100 * high:.0f}, n=40),"
        " though the data cannot separate either from the best; c is cheaper"
    )


def test_with_repeats_the_example_ranks_and_n_counts_examples() -> None:
    """a passes 3 of 4 answered outputs but only 1 of its 2 examples (the other failed
    its one answered repeat); b passes 3/3 and 1/3. Counted by outputs a leads (75% to
    67%); by examples b does (50% to 67%), and the rate is over 2 examples, not 6."""
    a = [(True, True, True), (False, None, None)]
    b = [(True, True, True), (True, False, False)]
    rec = decide({"a": a, "b": b}, {"a": 0.001, "b": 0.001})
    assert rec.ranking == ("b", "a")
    assert rec.candidate_id == "b"
    assert "67% (95% CI" in rec.sentence and "n=2)" in rec.sentence


# --- severity over accuracy ------------------------------------------------------------

MODES = (
    FailureMode(id="vague", definition="Leaves the next step unclear.", severity="minor"),
    FailureMode(id="leaks-pii", definition="Repeats the customer's SSN.", severity="critical"),
    FailureMode(
        id="wrong-fix", definition="Tells the customer to do the wrong thing.", severity="major"
    ),
)


def labelled(wrong: Mapping[str, tuple[int, str]], n: int = 100) -> FailureReport:
    """Per candidate, its first k of n examples fail with `mode`; the rest pass."""
    found = [
        LabelledOutput(cid, f"e{i}", 0, {}, frozenset({mode} if i < k else ()))
        for cid, (k, mode) in wrong.items()
        for i in range(n)
    ]
    return FailureReport(
        run=None,  # type: ignore[arg-type]  # the recommendation reads only the rates
        modes=MODES,
        weights=DEFAULT_WEIGHTS,
        outputs=tuple(found),
        candidates=tuple(candidate_failures(found, MODES, DEFAULT_WEIGHTS, resamples=50)),
        systematic=systematic(found, MODES, slice_names=()),
        look_first=(),
    )


def test_graceful_and_wrong_15_percent_beats_catastrophic_and_wrong_8_percent() -> None:
    """The seed's rule: a model wrong 15% of the time that fails gracefully can beat one wrong
    8% of the time that fails catastrophically."""
    graceful = [True] * 85 + [False] * 15
    catastrophic = [True] * 92 + [False] * 8
    failures = labelled({"graceful": (15, "vague"), "catastrophic": (8, "leaks-pii")})
    rec = decide(
        {"graceful": graceful[::-1], "catastrophic": catastrophic[::-1]},
        {"graceful": 0.002, "catastrophic": 0.001},
        failures=failures,
    )
    assert rec.candidate_id == "graceful"
    assert rec.ranking == ("graceful",)  # only ready candidates are ranked
    assert rec.caveats[0] == (
        "catastrophic is not ready, whatever its pass rate (92%): it fails catastrophically on"
        " 8% of examples (95% CI 4% to 15%, n=100), above the 1% (the default: set"
        " ready.max_catastrophic_rate)."
    )
    # The same data without failure modes would have recommended the catastrophic one.
    assert (
        decide(
            {"graceful": graceful[::-1], "catastrophic": catastrophic[::-1]},
            {"graceful": 0.002, "catastrophic": 0.001},
        ).candidate_id
        == "catastrophic"
    )


def test_among_candidates_the_pass_rate_cannot_separate_the_less_harmful_wins_over_price() -> None:
    """a fails 12 of 100 with a minor failure, b 10 of 100 with a major one and is cheaper:
    the pass rates cannot be told apart, the harm can (weights 3 and 10 per failure)."""
    failures = labelled({"a": (12, "vague"), "b": (10, "wrong-fix")})
    a = [False] * 12 + [True] * 88
    b = [False] * 10 + [True] * 90
    rec = decide({"a": a, "b": b}, {"a": 0.002, "b": 0.001}, failures=failures)
    assert rec.top_group == ("b", "a")  # b first by pass rate; the test cannot separate them
    assert rec.candidate_id == "a"
    assert rec.sentence.startswith(
        "Recommend a: the data cannot separate its pass rate, 88% (95% CI 80% to 93%, n=100),"
        " from the best's, b, which fails more severely"
    )
    harm = next(c for c in rec.caveats if c.startswith("b was passed over"))
    # b − a per example: +7 on e0–e9 (10 against 3), −3 on e10, e11: (70 − 6) / 100 = 0.64.
    assert "0.64 more severity-weighted harm per example" in harm and "n=100" in harm
    # Without failure modes, the cheaper one was chosen, as before.
    assert decide({"a": a, "b": b}, {"a": 0.002, "b": 0.001}).candidate_id == "b"


def test_a_harm_difference_the_data_cannot_show_leaves_the_choice_to_price() -> None:
    failures = labelled({"a": (3, "vague"), "b": (2, "wrong-fix")})
    a = [False] * 3 + [True] * 97
    b = [False] * 2 + [True] * 98
    rec = decide({"a": a, "b": b}, {"a": 0.002, "b": 0.001}, failures=failures)
    assert rec.candidate_id == "b"  # three examples differ: no proof either fails worse
    assert not any("passed over" in c for c in rec.caveats)


def test_when_no_candidate_is_ready_the_headline_says_so_and_names_the_closest() -> None:
    failures = labelled({"a": (30, "leaks-pii"), "b": (5, "leaks-pii")})
    rec = decide(
        {"a": [True] * 70 + [False] * 30, "b": [True] * 95 + [False] * 5},
        {"a": 0.001, "b": 0.001},
        min_pass_rate=0.97,
        failures=failures,
    )
    assert rec.candidate_id is None and rec.good_enough is False
    assert rec.sentence == (
        "No candidate is ready to ship. Closest: b, which misses 1 bar of the suite's."
    )
    assert rec.caveats[0].startswith(
        "b is not ready, whatever its pass rate (95%): it fails catastrophically on 5%"
    )
    assert rec.caveats[1].startswith("a is not ready: it fails catastrophically on 30%")
    assert "; and it passes 70% (at most 78%, 95% CI, n=100), below the 97%" in rec.caveats[1]


def test_one_critical_failure_in_25_is_not_proof_of_a_rate_above_1_percent() -> None:
    """1/25's 95% interval starts at 0.7%: the data cannot show it misses the 1% bar."""
    failures = labelled({"a": (1, "leaks-pii")}, n=25)
    rec = decide({"a": [True] * 24 + [False]}, {"a": 0.001}, failures=failures)
    assert rec.candidate_id == "a"
    assert any(c.startswith("a failed catastrophically") for c in rec.caveats)


def test_an_uncalibrated_judge_is_named_with_the_rate_people_s_grades_imply() -> None:
    # The judge passed all 40 of a's outputs; people graded 20 and passed 8 of them.
    outputs = [JudgedOutput(f"e{i}", True, (i < 8) if i < 20 else None) for i in range(40)]
    corrected = corrected_rate(outputs, candidate_id="a", criterion_id="polite")
    calibration = calibrate([(i < 8, True) for i in range(20)], criterion_id="polite")
    calibration = replace(calibration, corrected=(corrected,))
    (caveat,) = judge_caveats([calibration], ["polite"])
    assert caveat.startswith("The judge's verdicts on polite are not calibrated against people:")
    assert "too lenient" in caveat
    rate = corrected.rate
    assert rate.value == 0.4 and rate.low is not None and rate.high is not None
    assert caveat.endswith(
        f" Corrected by people's grades: a 40% (95% CI {rate.low:.0%} to {rate.high:.0%}) "
        "where the judge says 100%."
    )
    assert rate.high < 0.7  # the judge's 100% is far outside it


def test_a_candidate_over_the_budget_is_not_ready_whatever_its_pass_rate() -> None:
    bars = Bars(DEFAULT_MAX_CATASTROPHIC, True, None, max_cost_per_request=0.0015)
    rec = decide({"a": B, "b": A}, {"a": 0.002, "b": 0.001}, bars=bars)
    assert rec.candidate_id == "b" and rec.ranking == ("b",)
    assert rec.caveats[0] == (
        "a is not ready, whatever its pass rate (80%): it costs $0.0020 a request (the same on"
        " every request), above the $0.0015 the suite allows."
    )


def test_a_check_or_criterion_bar_is_missed_only_when_its_interval_is_below_it() -> None:
    # a's check `ok` passes 30 of 40 (Wilson 60% to 86%): below a 90% bar, not below 85%.
    strict = Bars(DEFAULT_MAX_CATASTROPHIC, True, None, min_check_rate={"ok": 0.9})
    rec = decide({"a": A}, {"a": 0.001}, bars=strict)
    assert rec.candidate_id is None
    assert rec.caveats[0] == (
        "a is not ready, whatever its pass rate (75%): it passes check ok on 75% of outputs"
        " (at most 86%, 95% CI, n=40), below the 90% the suite asks for."
    )
    lenient = Bars(DEFAULT_MAX_CATASTROPHIC, True, None, min_check_rate={"ok": 0.85})
    assert decide({"a": A}, {"a": 0.001}, bars=lenient).candidate_id == "a"

    # People's grades stand before the judge's: people passed 5 of 20 on tone.
    tone = Bars(DEFAULT_MAX_CATASTROPHIC, True, None, min_criterion_rate={"tone": 0.8})
    graded = [
        CriterionResult("tone", "a", "judge", wilson(19, 20), 0, 0),
        CriterionResult("tone", "a", "people", wilson(5, 20), 0, 0),
        CriterionResult("tone", "b", "judge", wilson(18, 20), 0, 0),
    ]
    rec = decide({"a": B, "b": A}, {"a": 0.001, "b": 0.001}, bars=tone, criteria=graded)
    assert rec.candidate_id == "b"
    assert rec.caveats[0].startswith(
        "a is not ready, whatever its pass rate (80%): it passes criterion tone on 25% (at most"
    )
    assert "graded by people), below the 80% the suite asks for." in rec.caveats[0]
