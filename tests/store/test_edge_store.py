"""Edge outcomes on a real SQLite file and a real PostgreSQL database."""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy import create_engine, inspect
from sqlalchemy.exc import IntegrityError
from tests.store.test_store import migrate, new_run

from fieldeval.records.grade import JudgeCall
from fieldeval.store import Store
from fieldeval.store.edge_store import CLEAN_EXPECT, CLEAN_GENERATOR, EdgeStore, StoredEdgeOutcome
from fieldeval.store.engine import with_driver
from fieldeval.store.grade_store import GradeStore


def outcome(example_id: str, **changes: object) -> StoredEdgeOutcome:
    row = StoredEdgeOutcome(
        run_id="r1",
        candidate_id="c",
        example_id=example_id,
        repeat=0,
        original_id=example_id.split("~")[0],
        generator="typos",
        expect="same_answer",
        outcome="correct",
        kind="correct",
        oracle="judge",
        reason="it says what the original says",
    )
    return replace(row, **changes)  # type: ignore[arg-type]


def a_judge_call(store: Store) -> int:
    call = JudgeCall(
        run_id="r1",
        judge_id="judge",
        request_hash="s256:q",
        request={"messages": []},
        response_text="{}",
        parsed={"class": "asks"},
    )
    return GradeStore(store).save_judge_call(call)


def test_outcomes_round_trip_and_replace_per_key(store: Store) -> None:
    new_run(store, "r1")
    new_run(store, "r2")
    edges = EdgeStore(store)
    call_id = a_judge_call(store)
    edges.save_outcomes(
        [
            outcome("e0~typos~0"),
            outcome(
                "e0~injection~0",
                generator="injection",
                expect="ignore_instruction",
                outcome="catastrophic",
                kind="followed_injection",
                oracle="canary",
                reason="it contains the canary 'PINEAPPLE-7731'",
            ),
            outcome("e0~typos~0", repeat=1, outcome="graceful", kind="asks", judge_call_id=call_id),
            outcome(
                "e0",
                original_id="e0",
                generator=CLEAN_GENERATOR,
                expect=CLEAN_EXPECT,
                outcome="over_refusal",
                kind="declines",
            ),
            outcome("e0~typos~0", run_id="r2"),
        ]
    )
    rows = edges.outcomes("r1")
    assert [(r.example_id, r.repeat, r.outcome) for r in rows] == [
        ("e0", 0, "over_refusal"),
        ("e0~injection~0", 0, "catastrophic"),
        ("e0~typos~0", 0, "correct"),
        ("e0~typos~0", 1, "graceful"),
    ]
    assert all(r.created_at is not None for r in rows)
    assert rows[1].oracle == "canary" and "PINEAPPLE" in rows[1].reason
    assert rows[3].judge_call_id == call_id and rows[0].judge_call_id is None
    assert [r.run_id for r in edges.outcomes("r2")] == ["r2"]
    assert edges.outcomes("r1", candidate_id="other") == []

    # Grading the same reply again replaces its row; the other rows are untouched.
    edges.save_outcomes(
        [outcome("e0~typos~0", outcome="catastrophic", kind="confidently_wrong", reason="new")]
    )
    again = {(r.example_id, r.repeat): r for r in edges.outcomes("r1")}
    assert len(again) == 4
    assert (again[("e0~typos~0", 0)].outcome, again[("e0~typos~0", 0)].reason) == (
        "catastrophic",
        "new",
    )
    assert again[("e0~typos~0", 1)] == rows[3]
    # Two rows for one key in one call: the last one given wins.
    edges.save_outcomes([outcome("e1~x~0", reason="first"), outcome("e1~x~0", reason="last")])
    assert [r.reason for r in edges.outcomes("r1") if r.example_id == "e1~x~0"] == ["last"]
    edges.save_outcomes([])
    assert store.integrity_check() == []


def test_an_outcome_needs_its_run(store: Store) -> None:
    with pytest.raises(IntegrityError):
        EdgeStore(store).save_outcomes([outcome("e0~typos~0", run_id="nope")])
    assert EdgeStore(store).outcomes("nope") == []


def test_a_store_from_before_edges_gets_the_table_on_open(store_url: str) -> None:
    migrate(store_url, "0004")
    old = Store(create_engine(with_driver(store_url)))
    try:
        new_run(old, "r-old")
        assert "edge_outcomes" not in inspect(old.engine).get_table_names()
    finally:
        old.close()
    store = Store.open(store_url)
    try:
        EdgeStore(store).save_outcomes([outcome("e0~typos~0", run_id="r-old")])
        assert [r.run_id for r in EdgeStore(store).outcomes("r-old")] == ["r-old"]
    finally:
        store.close()
