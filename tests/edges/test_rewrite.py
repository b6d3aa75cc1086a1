"""The suite's translator rewrites text for the edge generators, through its provider, cached."""

from __future__ import annotations

import json
import secrets
from pathlib import Path
from typing import Any

from tests.doubles.fixtures import ServerHandle
from tests.edges.helpers import run_with_edges

from fieldeval.data.dataset import load_dataset
from fieldeval.edges.dataset import with_edges
from fieldeval.edges.rewrite import REWRITE_RUN, UNTRANSLATED, Rewriter
from fieldeval.store import Store
from fieldeval.store.grade_store import GradeStore
from fieldeval.suite.loader import LoadedSuite, load_suite

ROWS = [
    ("r1", "The bank charged me twice for one coffee and will not refund the second charge."),
    ("r2", "My transfer to my landlord has been pending for nine days and nobody explains why."),
]


def write_suite(folder: Path, server_url: str, generators: list[str]) -> LoadedSuite:
    module = f"rewrite_bot_{secrets.token_hex(4)}"
    (folder / f"{module}.py").write_text(
        "def bot(request):\n    return 'A summary of the complaint.'\n", encoding="utf-8"
    )
    lines = ["id,text"] + [f'{i},"{t}"' for i, t in ROWS]
    (folder / "data.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    translator = {"id": "translator", "provider": "openai", "model": "m", "base_url": server_url,
                  "api_key_env": None, "retry": {"attempts": 2, "backoff_s": 0.01}}  # fmt: skip
    suite: dict[str, Any] = {
        "task": {"name": "rewrite", "description": "Summarise.", "prompt": "{{ text }}"},
        "dataset": {"path": "data.csv", "id": "id", "input": "text"},
        "candidates": [
            {"id": "bot", "provider": "python", "function": f"{module}:bot"},
            translator,
        ],
        "edges": {"generators": generators, "translator": "translator", "seed": 9},
    }
    path = folder / "suite.yaml"
    path.write_text(json.dumps(suite, indent=2), encoding="utf-8")
    return load_suite(path)


def test_translations_are_asked_once_then_answered_from_the_store(
    tmp_path: Path, store: Store, server: ServerHandle
) -> None:
    loaded = write_suite(tmp_path, server.url, ["wrong_language", "typos"])
    dataset = load_dataset(loaded.suite.dataset, base_dir=loaded.base_dir)
    calls = server.stats()["calls"]

    first = with_edges(loaded, store, dataset)

    assert first.rewrites_called == len(ROWS) and first.rewrites_cached == 0
    assert server.stats()["calls"] == calls + len(ROWS)
    translated = [e for e in first.dataset.examples if e.fields.get("edge") == "wrong_language"]
    # The fake server "translates" by echoing the text it was sent.
    assert [e.input for e in translated] == [f"echo: {text}" for _, text in ROWS]
    recorded = GradeStore(store).judge_calls(REWRITE_RUN)
    assert len(recorded) == len(ROWS) and {c.judge_id for c in recorded} == {"translator"}
    assert recorded[0].request["messages"][0]["role"] == "system"  # the instruction

    again = with_edges(loaded, store, dataset)

    assert again.rewrites_called == 0 and again.rewrites_cached == len(ROWS)
    assert server.stats()["calls"] == calls + len(ROWS)
    assert again.dataset.content_hash == first.dataset.content_hash


def test_a_dry_run_translates_nothing_it_has_not_cached(
    tmp_path: Path, store: Store, server: ServerHandle
) -> None:
    loaded = write_suite(tmp_path, server.url, ["paraphrase"])
    dataset = load_dataset(loaded.suite.dataset, base_dir=loaded.base_dir)
    calls = server.stats()["calls"]

    offline = with_edges(loaded, store, dataset, offline=True)

    assert server.stats()["calls"] == calls
    assert offline.rewrites_missing == len(ROWS) and offline.rewrites_called == 0
    # The variants are there, marked, so the dry run can count their tokens.
    marked = [e.input for e in offline.dataset.examples if e.fields.get("edge")]
    assert len(marked) == len(ROWS) and all(t.startswith(UNTRANSLATED) for t in marked)


def test_a_run_of_a_suite_with_a_translator_runs_the_translated_variants(
    tmp_path: Path, store: Store, server: ServerHandle
) -> None:
    loaded = write_suite(tmp_path, server.url, ["wrong_language"])

    info = run_with_edges(loaded, store)  # no dataset given: the suite's, with its edge cases

    examples = store.examples(info.dataset_hash)
    assert len(examples) == 2 * len(ROWS)
    outputs = store.outputs(info.id)
    assert len(outputs) == len(examples) * 2  # both candidates answer every example
    assert all(o.error_kind is None for o in outputs)


def test_the_rewriter_closes_its_provider_and_loop(tmp_path: Path, store: Store) -> None:
    loaded = write_suite(tmp_path, "http://127.0.0.1:9/v1", ["wrong_language"])
    with Rewriter(loaded, store, offline=True) as rewriter:
        assert rewriter("not sent", "translate") == f"{UNTRANSLATED} not sent"
    rewriter.close()  # twice is harmless
