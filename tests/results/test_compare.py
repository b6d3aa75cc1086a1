"""Comparing two runs: flips, rates on the paired examples, numbers, and what changed."""

from __future__ import annotations

import pytest
from tests.projects.bot import CHECKS, BotProject, save_dataset, save_run

from fieldeval.results.changes import Change
from fieldeval.results.compare import compare_runs
from fieldeval.store import Store

IDS = ["e1", "e2", "e3", "e4", "e5", "e6"]


def test_flips_list_regressions_first_with_both_outputs_and_what_failed(
    project: BotProject, store: Store
) -> None:
    project.write(IDS)
    before = project.run(
        {"e1": "no", "e2": "ok", "e3": "ok", "e4": "no", "e5": "ok SSN", "e6": "ok"}
    )
    after = project.run(
        {"e1": "ok", "e2": "no", "e3": "RAISE", "e4": "no", "e5": "ok SSN", "e6": "ok"}
    )

    bot = compare_runs(store, before.id, after.id).candidates[0]

    # e1 was fixed, but it comes after the two regressions.
    assert [(f.example_id, f.direction) for f in bot.flips] == [
        ("e2", "regressed"),
        ("e3", "regressed"),
        ("e1", "fixed"),
    ]
    broke, errored, fixed = bot.flips
    assert (broke.before.text, broke.after.text) == ("ok", "no")
    assert (broke.failed_before, broke.failed_after) == ((), ("correct",))
    assert broke.input == "question e2"
    assert errored.after.error_kind == "app_error"
    assert errored.failed_after == ("error:app_error",)
    assert (fixed.failed_before, fixed.failed_after) == (("correct",), ())
    assert bot.still_failing == ("e4", "e5")
    assert bot.n_paired == 6


def test_rates_are_paired_with_difference_after_minus_before(
    project: BotProject, store: Store
) -> None:
    project.write(IDS)
    before = project.run(
        {"e1": "no", "e2": "ok", "e3": "ok", "e4": "no", "e5": "ok SSN", "e6": "ok"}
    )
    after = project.run(
        {"e1": "ok", "e2": "no", "e3": "RAISE", "e4": "no", "e5": "ok SSN", "e6": "ok"}
    )

    metrics = {m.metric: m for m in compare_runs(store, before.id, after.id).candidates[0].metrics}

    assert list(metrics) == ["pass", "correct", "no-pii"]
    overall = metrics["pass"]
    assert (overall.before.k, overall.after.k, overall.before.n) == (3, 2, 6)
    assert (overall.paired.b, overall.paired.c) == (1, 2)  # fixed, regressed
    assert overall.paired.difference == pytest.approx(-1 / 6)
    # A check is compared only where it ran in both runs: e3 errored in the later one.
    assert metrics["correct"].before.n == 5
    assert (metrics["correct"].before.k, metrics["correct"].after.k) == (3, 3)
    for metric in metrics.values():
        assert metric.paired.p_value <= metric.adjusted_p <= 1


def test_numbers_and_cost_are_compared_on_the_paired_examples(
    project: BotProject, store: Store
) -> None:
    price = {"input_per_mtok": 2.0, "output_per_mtok": 10.0, "per_call": 0.001}
    project.write(
        ["e1", "e2", "e3"],
        candidates=[project.candidate("priced", price=price), project.candidate("free")],
    )

    def answers(output_tokens: int) -> dict[str, object]:
        usage = {"input_tokens": 1000, "output_tokens": output_tokens}
        return {e: {"text": "ok", "usage": usage} for e in ["e1", "e2", "e3"]}

    before = project.run(answers(100))
    after = project.run(answers(300))

    priced, free = compare_runs(store, before.id, after.id).candidates
    numbers = {n.metric: n for n in priced.numbers}
    cost = numbers["cost_usd"]
    # 1000 × $2/M + 100 × $10/M + $0.001 per call, then with 300 output tokens.
    assert cost.before_median == pytest.approx(0.004)
    assert cost.after_median == pytest.approx(0.006)
    assert cost.paired is not None
    assert cost.paired.difference == pytest.approx(0.002)
    tokens = numbers["output_tokens"].paired
    assert tokens is not None
    assert tokens.difference == pytest.approx(200)
    assert numbers["latency_ms"].before_median is not None
    assert "cost_usd" not in {n.metric for n in free.numbers}


def test_changed_settings_show_as_dotted_paths(project: BotProject, store: Store) -> None:
    project.write(["e1"], candidates=[project.candidate(params={"temperature": 0.0})])
    before = project.run({"e1": "ok"})
    project.write(
        ["e1"],
        candidates=[project.candidate(params={"temperature": 0.7})],
        checks=[*CHECKS, {"max_words": 5, "id": "short"}],
        description="Answer ok, briefly.",
    )
    after = project.run({"e1": "ok"})

    comparison = compare_runs(store, before.id, after.id)

    assert comparison.candidates[0].config_changes == (Change("params.temperature", 0.0, 0.7),)
    changes = {c.path: c for c in comparison.suite_changes}
    assert set(changes) == {"task.description", "checks.short"}
    assert changes["task.description"].after == "Answer ok, briefly."
    assert changes["checks.short"].before is None
    assert comparison.same_dataset


def test_identical_runs_show_no_change_and_no_flip(project: BotProject, store: Store) -> None:
    project.write(IDS)
    answers = dict.fromkeys(IDS, "ok")
    first, second = project.run(answers), project.run(answers)

    comparison = compare_runs(store, first.id, second.id)

    assert comparison.suite_changes == ()
    assert comparison.candidates[0].config_changes == ()
    assert comparison.candidates[0].flips == ()


def test_runs_on_different_data_compare_the_shared_examples_and_candidates(
    project: BotProject, store: Store
) -> None:
    project.write(["e1", "e2"], candidates=[project.candidate(), project.candidate("old")])
    before = project.run({"e1": "ok", "e2": "ok"})
    project.write(["e2", "e3"], candidates=[project.candidate(), project.candidate("new")])
    after = project.run({"e2": "no", "e3": "ok"})

    comparison = compare_runs(store, before.id, after.id)

    assert not comparison.same_dataset
    assert (comparison.only_before, comparison.only_after) == (("old",), ("new",))
    (bot,) = comparison.candidates
    assert (bot.n_paired, bot.only_before, bot.only_after) == (1, 1, 1)
    assert [(f.example_id, f.direction) for f in bot.flips] == [("e2", "regressed")]


def test_with_repeats_an_example_passes_on_at_least_half_its_repeats(store: Store) -> None:
    dataset = save_dataset(store, 3)
    before = save_run(
        store, dataset, {"bot": {"e0": [True, False], "e1": [False, False], "e2": [True, True]}}
    )
    after = save_run(
        store, dataset, {"bot": {"e0": [False, False], "e1": [False, True], "e2": [True, None]}}
    )

    bot = compare_runs(store, before.id, after.id).candidates[0]

    assert [(f.example_id, f.direction) for f in bot.flips] == [
        ("e0", "regressed"),
        ("e1", "fixed"),
    ]
    regressed, fixed = bot.flips
    # Each side shows a repeat that agrees with its verdict.
    assert regressed.before.passed and not regressed.after.passed
    assert fixed.after.passed and fixed.after.repeat == 1
    # e2 passed one repeat and errored the other: half of its repeats passed.
    pass_rate = bot.metrics[0]
    assert (pass_rate.before.k, pass_rate.after.k) == (2, 2)
