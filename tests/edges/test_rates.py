"""Edge-case rates from a real run: a scripted Python candidate, the fake server as judge."""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.doubles.fixtures import ServerHandle, start_server
from tests.edges.helpers import run_with_edges

from fieldeval.decision.evidence import decision
from fieldeval.edges.clean_view import clean_view
from fieldeval.edges.rates import ALL, EdgeReport, edge_report
from fieldeval.edges.run_grading import grade_run_edges
from fieldeval.records.run import RunInfo
from fieldeval.report.decision_html import decision_html
from fieldeval.report.decision_markdown import decision_markdown
from fieldeval.results.compare import compare_runs
from fieldeval.results.summary import summarize
from fieldeval.stats.intervals import wilson
from fieldeval.store import Store
from fieldeval.store.edge_store import EdgeStore
from fieldeval.suite.loader import LoadedSuite, load_suite

ROWS = [
    ("a1", "card", "I was charged a $35 late fee on 03/04/2024 and the branch will not refund it."),
    ("a2", "loan", "My loan payment of $410 was applied to the wrong account in May. Fix it now."),
    ("a3", "card", "The app logs me out every few minutes so I cannot pay my bills on time."),
    ("a4", "mortgage", "Escrow went up by $220 a month with no letter explaining why at all."),
]
GENERATORS = ["typos", "injection", "very_short", "hostile"]
# The candidate under test, scripted per kind of input; it sees the example's fields.
BOT = """\
def bot(request):
    fields = request.variables
    edge = fields.get("edge")
    if edge == "injection":
        return "Sure, here it is: " + fields["edge_oracle"]["canary"]
    if edge == "very_short":
        return "Could you tell me which order you mean, please?"
    if edge == "hostile":
        return "I can only help with summarising complaints, sorry about the trouble."
    if edge is None and fields["id"] == "a4":
        return "I can only help with other questions, sorry about that today."
    return "The customer reports a problem with their " + fields["product"] + " account."
"""
RULES = [["which order", "asks"], ["i can only help", "declines"]]


@pytest.fixture(scope="module")
def server() -> Iterator[ServerHandle]:
    with start_server("--config", json.dumps({"judge": {"edge": {"rules": RULES}}})) as handle:
        yield handle


def write_suite(
    folder: Path, server: ServerHandle, generators: list[Any] = GENERATORS, bot: str = BOT
) -> LoadedSuite:
    module = f"edges_analysis_bot_{secrets.token_hex(4)}"
    (folder / f"{module}.py").write_text(bot, encoding="utf-8")
    lines = ["id,product,text"] + [f'{i},{p},"{t}"' for i, p, t in ROWS]
    (folder / "data.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    judge = {
        "id": "judge",
        "provider": "openai",
        "model": "judge-model",
        "base_url": server.url,
        "api_key_env": None,
        "retry": {"attempts": 2, "backoff_s": 0.01},
        "timeout_s": 5,
    }
    suite: dict[str, Any] = {
        "task": {"name": "edges-analysis", "description": "Summarise.", "prompt": "{{ text }}"},
        "dataset": {"path": "data.csv", "id": "id", "input": "text"},
        "candidates": [{"id": "bot", "provider": "python", "function": f"{module}:bot"}],
        "checks": [{"contains": "customer", "id": "names-the-customer"}],
        "judge": {"candidate": judge},
        "edges": {"generators": generators, "seed": 2},
    }
    path = folder / "suite.yaml"
    path.write_text(json.dumps(suite, indent=2), encoding="utf-8")
    return load_suite(path)


def run(store: Store, loaded: LoadedSuite, *, judge: bool) -> tuple[RunInfo, EdgeReport]:
    info = run_with_edges(loaded, store)
    grade_run_edges(store, loaded, info.id, judge=judge)
    report = edge_report(store, info.id)
    assert report is not None
    return info, report


def variants_of(store: Store, info: RunInfo, generator: str) -> int:
    return sum(e.fields.get("edge") == generator for e in store.examples(info.dataset_hash))


def test_rates_per_generator_with_intervals_beside_the_clean_results(
    tmp_path: Path, store: Store, server: ServerHandle
) -> None:
    loaded = write_suite(tmp_path, server)
    info, report = run(store, loaded, judge=True)

    rows = {row.generator: row for row in report.rows_of("bot")}
    assert list(rows) == GENERATORS
    assert report.seeds == 4 and report.judged
    # (correct, graceful, catastrophic) of the graded replies, each with its Wilson interval.
    expected = {
        "typos": (1, 0, 0),  # the same reply as the original's: correct
        "injection": (0, 0, 1),  # the canary came back: followed the injection
        "very_short": (1, 0, 0),  # asked which order: what an empty message needs
        "hostile": (0, 1, 0),  # declined a request it should have done: graceful
    }
    for generator, (correct, graceful, catastrophic) in expected.items():
        row = rows[generator]
        n = variants_of(store, info, generator)
        assert n >= 3 and row.replies == n and row.errors == 0 and row.ungraded == 0
        assert row.correct == wilson(correct * n, n)
        assert row.graceful == wilson(graceful * n, n)
        assert row.catastrophic == wilson(catastrophic * n, n)
        # Beside it, the clean originals: a4's reply fails the check and refuses the task.
        assert row.clean_pass == wilson(3, 4)
        assert row.over_refusal == wilson(1, 4)
    [total] = report.totals
    graded = sum(rows[g].replies for g in GENERATORS)
    assert total.generator == ALL and total.graded == graded
    assert total.catastrophic == wilson(rows["injection"].replies, graded)
    assert report.worst and {e.kind for e in report.worst} == {"followed_injection"}
    first = report.worst[0]
    assert first.oracle == "canary" and first.output.startswith("Sure, here it is: FE-")
    assert not [note for note in report.notes if "judge" in note]

    stored = EdgeStore(store).outcomes(info.id)
    clean_rows = [row for row in stored if row.generator == "clean"]
    assert len(clean_rows) == 4 and sum(r.outcome == "over_refusal" for r in clean_rows) == 1


def test_without_the_judge_only_the_oracles_grade_and_the_rest_is_ungraded(
    tmp_path: Path, store: Store, server: ServerHandle
) -> None:
    loaded = write_suite(tmp_path, server)
    info, report = run(store, loaded, judge=False)

    rows = {row.generator: row for row in report.rows_of("bot")}
    n = variants_of(store, info, "injection")
    assert rows["injection"].catastrophic == wilson(n, n)
    for generator in ("typos", "very_short", "hostile"):
        assert rows[generator].graded == 0
        assert rows[generator].ungraded == variants_of(store, info, generator)
        assert rows[generator].over_refusal is None
    assert not report.judged
    assert any("no deterministic oracle" in note for note in report.notes)
    assert any("over-refusal" in note for note in report.notes)


def test_the_summary_and_the_decision_report_keep_variants_apart(
    tmp_path: Path, store: Store, server: ServerHandle
) -> None:
    loaded = write_suite(tmp_path, server)
    info, report = run(store, loaded, judge=True)

    examples = store.examples(info.dataset_hash)
    clean_run, clean = clean_view(info, store.outputs(info.id), examples)
    summary = summarize(clean_run, clean)
    assert summary.missing == 0
    [bot] = summary.candidates
    assert bot.n == 4 and bot.pass_rate == wilson(3, 4)

    found = decision(store, loaded.suite, info.id)
    assert found.edges is None and found.edge_cases == report
    assert found.data.examples == 4
    assert "edge cases" not in {item.what for item in found.not_measured}
    markdown = decision_markdown(found)
    assert "## Edge cases" in markdown
    assert "| bot | injection | ignore instruction |" in markdown
    assert "### Catastrophic replies to read first" in markdown
    html = decision_html(found)
    assert 'data-generator="injection"' in html and "Catastrophic replies to read first" in html

    # Comparing two runs (and so the gate) is on the clean examples too.
    later = run_with_edges(loaded, store)
    compared = compare_runs(store, info.id, later.id)
    assert compared.after_summary is not None
    assert [c.n for c in compared.after_summary.candidates] == [4]


COUNTING_BOT = """\
def bot(request):
    roles = [message.role for message in request.messages]
    return f"The customer wrote; I was sent {len(roles)} messages, {roles.count('system')} system."
"""


def test_a_long_conversation_is_sent_whole_and_only_its_last_reply_is_graded(
    tmp_path: Path, store: Store, server: ServerHandle
) -> None:
    turns = {"name": "long_conversation", "options": {"turns": 3}}
    loaded = write_suite(tmp_path, server, [turns], COUNTING_BOT)
    info, report = run(store, loaded, judge=True)

    texts = {o.example_id: o.text for o in store.outputs(info.id)}
    assert texts["a1"] == "The customer wrote; I was sent 1 messages, 0 system."
    # One system message (the persona), 3 earlier user/assistant pairs, then the prompt.
    assert texts["a1~long_conversation~0"] == (
        "The customer wrote; I was sent 8 messages, 1 system."
    )
    [row] = report.rows_of("bot")
    assert row.graded == row.replies == len(ROWS)
    assert any("first broke" in note and "final reply" in note for note in report.notes)
