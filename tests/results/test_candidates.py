"""Candidates against each other in one run: paired on shared examples, Holm across pairs."""

from __future__ import annotations

from tests.projects.bot import BotProject, save_dataset, save_run

from fieldeval.results.candidates import CANNOT_SEPARATE, compare_candidates
from fieldeval.stats.paired import holm
from fieldeval.store import Store

IDS = [f"e{i}" for i in range(30)]


def two_candidates(project: BotProject, first: dict[str, str], second: dict[str, str]) -> str:
    project.write(
        IDS, candidates=[project.candidate("first"), project.candidate("second", "other")]
    )
    return project.run(first, other=second).id


def test_one_example_of_thirty_cannot_separate_two_candidates(
    project: BotProject, store: Store
) -> None:
    run_id = two_candidates(
        project, dict.fromkeys(IDS, "ok"), {e: "no" if e == "e7" else "ok" for e in IDS}
    )

    (pair,) = compare_candidates(store.outputs(run_id), ["first", "second"])

    assert (pair.a, pair.b) == ("first", "second")
    assert (pair.paired.n, pair.paired.b, pair.paired.c) == (30, 1, 0)
    assert pair.verdict == CANNOT_SEPARATE == "cannot be separated with this data"


def test_a_clear_difference_names_the_better_candidate(project: BotProject, store: Store) -> None:
    run_id = two_candidates(
        project,
        {e: "no" if i < 2 else "ok" for i, e in enumerate(IDS)},
        {e: "no" if i < 20 else "ok" for i, e in enumerate(IDS)},
    )
    outputs = store.outputs(run_id)

    (pair,) = compare_candidates(outputs, ["first", "second"])
    (reversed_pair,) = compare_candidates(outputs, ["second", "first"])

    assert pair.verdict == "a better"
    assert pair.paired.difference > 0
    assert reversed_pair.verdict == "b better"
    assert reversed_pair.paired.difference < 0


def test_examples_a_candidate_did_not_answer_are_left_out(
    project: BotProject, store: Store
) -> None:
    run_id = two_candidates(
        project, {e: "RAISE" if e == "e0" else "ok" for e in IDS}, dict.fromkeys(IDS, "ok")
    )

    (pair,) = compare_candidates(store.outputs(run_id), ["first", "second"])

    assert pair.paired.n == 29
    assert pair.paired.b == pair.paired.c == 0


def test_pairs_are_holm_corrected_so_more_candidates_need_more_evidence(store: Store) -> None:
    dataset = save_dataset(store, 20)
    # a passes 5 examples that b and c fail: mid-p 0.5⁵ = 0.031 per pair on its own.
    better = {f"e{i}": [True] for i in range(20)}
    worse = {f"e{i}": [i >= 5] for i in range(20)}
    run = save_run(store, dataset, {"a": better, "b": worse, "c": worse})
    outputs = store.outputs(run.id)

    (alone,) = compare_candidates(outputs, ["a", "b"])
    pairs = compare_candidates(outputs, ["a", "b", "c"])

    assert alone.verdict == "a better"
    assert [(p.a, p.b) for p in pairs] == [("a", "b"), ("a", "c"), ("b", "c")]
    assert [p.adjusted_p for p in pairs] == holm([p.paired.p_value for p in pairs])
    assert all(p.verdict == CANNOT_SEPARATE for p in pairs)


def test_with_repeats_an_example_passes_on_half_its_answered_repeats(store: Store) -> None:
    dataset = save_dataset(store, 2)
    run = save_run(
        store,
        dataset,
        {
            "a": {"e0": [True, False, None], "e1": [False, False, True]},
            "b": {"e0": [False, False, False], "e1": [True, True, False]},
        },
    )

    (pair,) = compare_candidates(store.outputs(run.id), ["a", "b"])

    # a passes e0 (1 of 2 answered) and fails e1 (1 of 3); b the other way round.
    assert (pair.paired.n, pair.paired.b, pair.paired.c) == (2, 1, 1)
