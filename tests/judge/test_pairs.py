"""Side-by-side judging against the fake model server: order, both orders, winners."""

from __future__ import annotations

from collections import Counter

import pytest
from tests.doubles.fixtures import ServerHandle
from tests.projects.judge import PASS_FAIL, TONE, JudgeProject

from fieldeval.errors import UserError
from fieldeval.judge.grader import judge_pairs, shown_order
from fieldeval.records.grade import PairGrade
from fieldeval.store import Store
from fieldeval.store.grade_store import GradeStore

# alpha offers a refund on every example, beta on none, except e6 (both) and e7 (neither).
ROWS = [(f"We will refund you, case {i}.", f"Please call us, case {i}.") for i in range(6)] + [
    ("refund now", "a refund later"),
    ("nothing", "nothing either"),
]


def winner_of(grade: PairGrade) -> str:
    return {"left": grade.left_candidate, "right": grade.right_candidate}.get(grade.winner, "tie")


async def test_both_orders_are_judged_and_winners_map_back_to_candidates(
    project: JudgeProject, store: Store, server: ServerHandle
) -> None:
    loaded = project.write(ROWS, rubric=[PASS_FAIL, TONE], judge={"seed": 7})
    run = await project.run(loaded)

    report = await judge_pairs(store, loaded, run.id, "alpha", "beta")

    assert (report.graded, report.failed) == (32, 0)  # 8 examples x 2 criteria x 2 orders
    assert report.calls == 32
    grades = GradeStore(store).pair_grades(run.id)
    for grade in grades:
        expected = {"e6": "tie", "e7": "tie"}.get(grade.example_id, "alpha")
        assert winner_of(grade) == expected, grade
        assert grade.grader == "judge:judge" and grade.judge_call_id is not None
    per_judgement = Counter((g.example_id, g.criterion_id) for g in grades)
    assert set(per_judgement.values()) == {2}
    for example_id, criterion_id in per_judgement:
        shown = {
            (g.left_candidate, g.right_candidate)
            for g in grades
            if (g.example_id, g.criterion_id) == (example_id, criterion_id)
        }
        assert shown == {("alpha", "beta"), ("beta", "alpha")}

    again = await judge_pairs(store, loaded, run.id, "beta", "alpha")  # either order
    assert (again.skipped, again.calls, again.graded) == (32, 0, 0)


async def test_the_order_shown_is_a_seeded_coin_per_example(
    project: JudgeProject, store: Store
) -> None:
    loaded = project.write(ROWS, judge={"both_orders": False, "seed": 3})
    run = await project.run(loaded)

    report = await judge_pairs(store, loaded, run.id, "beta", "alpha")

    assert report.graded == len(ROWS)
    grades = GradeStore(store).pair_grades(run.id)
    lefts = {g.example_id: g.left_candidate for g in grades}
    assert set(lefts.values()) == {"alpha", "beta"}  # the order varies across examples
    for grade in grades:
        expected = shown_order(3, ("alpha", "beta"), grade.example_id, 0, "offers-refund")
        assert (grade.left_candidate, grade.right_candidate) == expected
    assert shown_order(3, ("alpha", "beta"), "e0", 0, "x") == shown_order(
        3, ("alpha", "beta"), "e0", 0, "x"
    )
    flips = {shown_order(seed, ("a", "b"), "e0", 0, "x")[0] for seed in range(20)}
    assert flips == {"a", "b"}


async def test_pairs_need_two_known_candidates(project: JudgeProject, store: Store) -> None:
    loaded = project.write(ROWS[:1])
    run = await project.run(loaded)
    with pytest.raises(UserError, match="no candidate 'gamma'"):
        await judge_pairs(store, loaded, run.id, "alpha", "gamma")
    with pytest.raises(UserError, match="two different"):
        await judge_pairs(store, loaded, run.id, "alpha", "alpha")
