"""Conversations replayed turn by turn against the fake server: where each first broke."""

from __future__ import annotations

import json
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from tests.doubles.fixtures import ServerHandle
from tests.edges.helpers import run_with_edges

from fieldeval.edges.rates import edge_report
from fieldeval.edges.turn_results import first_broken_turn, summarize_turns
from fieldeval.edges.turns import checked_turns, replay_turns, turn_calls
from fieldeval.records.example import Example
from fieldeval.records.request import Message
from fieldeval.stats.intervals import wilson
from fieldeval.store import Store
from fieldeval.store.turn_store import StoredTurn, TurnStore
from fieldeval.suite.loader import load_suite

if TYPE_CHECKING:
    from tests.projects.suite_files import SuiteFiles

BREAK_AT = 4
USER_TURNS = 6
LONG = "[[reply:one two three four five six seven eight nine ten]]"


def _conversation(tag: str, *, break_at: int | None) -> list[dict[str, str]]:
    """USER_TURNS user turns, each answered by the data; from `break_at` on, a long reply."""
    messages = []
    for k in range(1, USER_TURNS + 1):
        text = f"{tag} turn {k}"
        if break_at is not None and k >= break_at:
            text += f" {LONG}"
        messages += [
            {"role": "user", "content": text},
            {"role": "assistant", "content": f"data answer {k}"},
        ]
    return messages


def _suite(folder: Path, url: str, tag: str) -> Path:
    rows: list[dict[str, Any]] = [
        {"id": "breaks", "messages": _conversation(f"{tag}b", break_at=BREAK_AT)},
        {"id": "holds", "messages": _conversation(f"{tag}h", break_at=None)},
    ]
    data = folder / "chats.jsonl"
    data.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    suite = {
        "task": {
            "name": "chat",
            "description": "answer briefly",
            "prompt": {"conversation": "messages", "system": "Be brief."},
        },
        "dataset": {"path": data.name, "id": "id"},
        "candidates": [
            {
                "id": "fake",
                "provider": "openai",
                "model": "m",
                "base_url": url,
                "api_key_env": None,
                "concurrency": 3,
                "retry": {"attempts": 2, "backoff_s": 0.05},
                "timeout_s": 2,
            }
        ],
        "checks": [{"max_words": 5}],
    }
    path = folder / "suite.yaml"
    path.write_text(json.dumps(suite), encoding="utf-8")
    return path


def test_checked_turns_are_every_nth_and_the_last() -> None:
    assert checked_turns(12, 5) == [5, 10, 12]
    assert checked_turns(10, 5) == [5, 10]
    assert checked_turns(3, 5) == [3]
    assert checked_turns(4, 1) == [1, 2, 3, 4]


def test_the_request_at_turn_k_holds_the_history_up_to_k_and_nothing_after() -> None:
    system = Message("system", "rule")
    turns = [Message("user" if i % 2 == 0 else "assistant", f"m{i}") for i in range(8)]
    example = Example(id="x", fields={}, input="m6")
    calls = turn_calls((system, *turns[:7]), example, every=2)  # 4 user turns
    assert [c.turn for c in calls] == [2, 4]
    assert calls[0].messages == (system, *turns[:3])  # user, assistant, user
    assert calls[1].messages == (system, *turns[:7])
    assert turn_calls((system, turns[0]), example, every=1) == []  # one user turn: no replay


def test_first_broken_turn_counts_only_the_checks_asked_for() -> None:
    def turn(k: int, checks: dict[str, bool], error: str | None = None) -> StoredTurn:
        return StoredTurn("r", "c", "e", 0, k, None if error else "x", checks, error)

    turns = [turn(1, {"persona": True, "len": False}), turn(2, {"persona": False, "len": True})]
    assert first_broken_turn(turns) == 1
    assert first_broken_turn(turns, only={"persona"}) == 2
    assert first_broken_turn([turn(1, {"persona": True})]) is None
    with pytest.raises(LookupError):
        first_broken_turn([turn(1, {}, error="timeout"), turn(2, {"persona": False})])


def test_a_replay_finds_the_turn_the_replies_first_broke_a_check(
    tmp_path: Path, store: Store, server: ServerHandle
) -> None:
    tag = secrets.token_hex(3)  # prompts no other test sends
    loaded = load_suite(_suite(tmp_path, server.url, tag))
    run = run_with_edges(loaded, store)
    # The run itself sent each conversation once, whole: only the final reply was checked.
    assert sorted(o.passed for o in store.outputs(run.id)) == [False, True]
    calls = server.stats()["calls"]

    replay = replay_turns(loaded, store, run.id, every=1)

    assert (replay.conversations, replay.calls, replay.failed) == (2, 2 * USER_TURNS, 0)
    assert server.stats()["calls"] == calls + 2 * USER_TURNS
    # Each turn's request ended with that turn's user message: sent once by the replay
    # (the last turn once more, by the run).
    prompts = server.stats()["prompts"]
    for k in range(1, USER_TURNS + 1):
        text = f"{tag}b turn {k}" + (f" {LONG}" if k >= BREAK_AT else "")
        assert prompts[text] == (2 if k == USER_TURNS else 1)
    rows = TurnStore(store).turns(run.id)
    assert len(rows) == 2 * USER_TURNS
    broken = [r for r in rows if r.example_id == "breaks"]
    assert [r.turn for r in broken] == list(range(1, USER_TURNS + 1))
    assert [r.checks["max_words"] for r in broken] == [k < BREAK_AT for k in range(1, 7)]
    assert broken[0].text == f"echo: {tag}b turn 1"
    assert all(r.checks["max_words"] for r in rows if r.example_id == "holds")
    assert first_broken_turn(broken) == BREAK_AT

    [row] = summarize_turns(rows, run.candidates)
    assert (row.candidate_id, row.replayed, row.turns, row.errors) == ("fake", 2, 12, 0)
    assert row.held == wilson(1, 2)
    assert row.first_broken == (BREAK_AT,) and row.median_first_broken == BREAK_AT

    # Stored turns are not sent again.
    again = replay_turns(loaded, store, run.id, every=1)
    assert (again.calls, again.stored) == (0, 2 * USER_TURNS)
    assert server.stats()["calls"] == calls + 2 * USER_TURNS


def test_every_nth_turn_bounds_the_calls(
    tmp_path: Path, store: Store, server: ServerHandle
) -> None:
    tag = secrets.token_hex(3)
    loaded = load_suite(_suite(tmp_path, server.url, tag))
    run = run_with_edges(loaded, store)
    replay = replay_turns(loaded, store, run.id, every=5)
    assert replay.calls == 2 * 2  # turns 5 and 6 of each conversation
    rows = TurnStore(store).turns(run.id)
    assert sorted({r.turn for r in rows}) == [5, 6]
    # Turn 4 is not checked: the first broken turn seen is 5, a bound, not the exact turn.
    [row] = summarize_turns(rows, run.candidates)
    assert row.first_broken == (5,)


def test_long_conversation_variants_are_replayed_with_their_persona_first(
    suite_files: SuiteFiles, store: Store, server: ServerHandle
) -> None:
    tag = secrets.token_hex(3)
    path = suite_files.write([f"{tag} first request", f"{tag} second one", f"{tag} third"])
    data = json.loads(path.read_text(encoding="utf-8"))
    data["edges"] = {
        "generators": [{"name": "long_conversation", "options": {"turns": 3}}],
        "persona": "You are Ada.",
    }
    path.write_text(json.dumps(data), encoding="utf-8")
    loaded = load_suite(path)
    run = run_with_edges(loaded, store)

    replay = replay_turns(loaded, store, run.id, every=2)

    # 3 variants, each 3 earlier user turns + the seed's prompt: turns 2 and 4 checked.
    assert (replay.conversations, replay.calls, replay.failed) == (3, 6, 0)
    rows = TurnStore(store).turns(run.id)
    assert {r.example_id.split("~")[1] for r in rows} == {"long_conversation"}
    assert sorted({r.turn for r in rows}) == [2, 4]
    assert all(r.checks == {"contains": True} for r in rows)  # the echo passes `contains`
    # The last checked turn is the variant's own final prompt.
    finals = {r.text for r in rows if r.turn == 4}
    assert finals == {f"echo: {tag} first request", f"echo: {tag} second one", f"echo: {tag} third"}
    report = edge_report(store, run.id)
    assert report is not None and report.turns[0].held == wilson(3, 3)
    assert not any("first broke" in note for note in report.notes)


def test_the_cli_replays_and_shows_the_first_broken_turns(
    tmp_path: Path, server: ServerHandle
) -> None:
    _suite(tmp_path, server.url, secrets.token_hex(3))
    ran = _fieldeval(tmp_path, "run", "suite.yaml", "--quiet")
    assert ran.returncode == 0, ran.stderr

    shown = _fieldeval(tmp_path, "edges", "suite.yaml", "--turns", "--turn-every", "1")

    assert shown.returncode == 0, shown.stderr
    assert (
        "turn replay: 2 conversations, 12 turn calls (0 already stored), 0 failed" in shown.stdout
    )
    assert re.search(
        r"│ fake\s+│\s+2 │\s+12 │\s+50% 1/2 \[\d+–\d+%\] │ median 4: 4", shown.stdout
    ), shown.stdout
    unknown = _fieldeval(tmp_path, "edges", "suite.yaml", "--turns", "--turn-check", "nope")
    assert unknown.returncode != 0 and "--turn-check 'nope'" in unknown.stdout + unknown.stderr
    again = _fieldeval(tmp_path, "edges", "suite.yaml", "--turns", "--turn-check", "max_words")
    assert again.returncode == 0, again.stderr
    assert "0 turn calls (12 already stored)" in again.stdout


def _fieldeval(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "FIELDEVAL_DB"}
    env["COLUMNS"] = "200"
    return subprocess.run(
        [sys.executable, "-m", "fieldeval", *args, "--db", str(folder / "results.db")],
        cwd=folder, env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
