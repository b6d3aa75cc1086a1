"""The task's own answer key as the edge oracle: a classifier's label, and the checks
templated from an example's fields, decide the replies to variants that keep the answer,
before any judge. Against the audit's judge (the test server answering "correct" to
everything), a reply with the wrong label is no longer graded correct, and the report says
how much of the rates is the judge's, and that it never varied."""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from tests.doubles.fixtures import ServerHandle, start_server
from tests.edges.helpers import run_with_edges_async

from fieldeval.checks.labels import LabelSet
from fieldeval.edges.expand import variant_example
from fieldeval.edges.grading import AnswerKey, EdgeCase, by_answer_key
from fieldeval.edges.rates import edge_report
from fieldeval.edges.run_grading import grade_edges
from fieldeval.edges.variant import Variant
from fieldeval.records.check_result import CheckResult
from fieldeval.records.example import Example
from fieldeval.store import Store
from fieldeval.store.edge_store import EdgeStore
from fieldeval.suite.loader import LoadedSuite, load_suite

SENTIMENT = LabelSet(("negative", "neutral", "positive"), None, False)
_BOT = """\
def reply(request):
    return request.variables["a"]
"""


@pytest.fixture(scope="module")
def server() -> Iterator[ServerHandle]:
    # The audit's judge: "correct" to every reply it is shown.
    config = {"judge": {"edge": {"rules": [], "default": "correct"}}}
    with start_server("--config", json.dumps(config)) as handle:
        yield handle


def _variant(original: str, generator: str, index: int, expect: str, text: str) -> Variant:
    return Variant(
        generator=generator,
        index=index,
        original_id=original,
        input=text,
        expect=expect,  # type: ignore[arg-type]
        oracle={},
        note=f"{generator} applied",
    )


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        ("negative", ("correct", "correct")),
        ("The sentiment is **negative**.", ("correct", "correct")),
        ("positive", ("catastrophic", "confidently_wrong")),
        ("I don't know what this tweet means.", ("graceful", "abstains")),
        ("Banana!", ("catastrophic", "broke_format")),
    ],
)
def test_a_classifier_s_label_decides_a_variant_that_keeps_the_answer(
    reply: str, expected: tuple[str, str]
) -> None:
    key = AnswerKey(labels=SENTIMENT, label="negative")
    case = EdgeCase(
        _variant("t1", "typos", 0, "same_answer", "flight delayd agian"), ("x",), key=key
    )
    found = by_answer_key(case, reply)
    assert found is not None and (found.outcome, found.kind, found.oracle) == (
        *expected,
        "reference",
    )


def test_an_expectation_that_changes_the_answer_is_left_to_the_judge() -> None:
    key = AnswerKey(labels=SENTIMENT, label="negative")
    asking = _variant("t1", "truncate", 0, "ask_for_detail", "flight del")
    assert by_answer_key(EdgeCase(asking, ("x",), key=key), "positive") is None


def test_a_reference_check_the_clean_reply_passed_decides_only_when_it_fails() -> None:
    key = AnswerKey(checks=frozenset({"names_the_amount"}))
    case = EdgeCase(_variant("c1", "typos", 0, "same_answer", "I paid $50 ..."), ("x",), key=key)
    failed = [CheckResult("names_the_amount", False, "'$50.00' not found")]
    wrong = by_answer_key(case, "It was $40.00.", failed)
    assert wrong is not None and (wrong.outcome, wrong.kind) == (
        "catastrophic",
        "confidently_wrong",
    )
    assert "names_the_amount" in wrong.reason
    asked = by_answer_key(case, "Could you tell me the amount?", failed)
    assert asked is not None and (asked.outcome, asked.kind) == ("graceful", "asks")
    # Passing every check proves nothing about the rest of the reply: the judge decides.
    assert (
        by_answer_key(case, "It was $50.00.", [CheckResult("names_the_amount", True, "ok")]) is None
    )


def _suite(
    folder: Path, server: ServerHandle, rows: Sequence[dict[str, Any]], variants: Sequence[Variant]
) -> LoadedSuite:
    module = f"answer_bot_{secrets.token_hex(4)}"
    (folder / f"{module}.py").write_text(_BOT, encoding="utf-8")
    by_id = {row["id"]: row for row in rows}
    with (folder / "data.jsonl").open("w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(row) + "\n")
        for var, reply in variants:
            seed = by_id[var.original_id]
            fields = {k: v for k, v in seed.items() if k not in ("id", "a")}
            example = variant_example(
                Example(id=var.original_id, fields=fields, input=""), var, "text"
            )
            handle.write(json.dumps({**example.fields, "id": var.id, "a": reply}) + "\n")
    suite = {
        "task": {
            "name": "tweets",
            "description": "Label the tweet's sentiment.",
            "prompt": "{{ text }}",
        },
        "dataset": {"path": "data.jsonl", "id": "id", "input": "text", "reference": "label"},
        "labels": ["negative", "neutral", "positive"],
        "candidates": [{"id": "bot", "provider": "python", "function": f"{module}:reply"}],
        "judge": {
            "candidate": {
                "id": "judge",
                "provider": "openai",
                "model": "judge-model",
                "base_url": server.url,
                "api_key_env": None,
                "timeout_s": 5,
            }
        },
    }
    path = folder / "suite.yaml"
    path.write_text(json.dumps(suite), encoding="utf-8")
    return load_suite(path)


async def test_against_a_judge_that_says_correct_to_everything(
    tmp_path: Path, store: Store, server: ServerHandle
) -> None:
    tweets = [
        {"id": f"t{i}", "text": f"tweet {i} about my flight", "label": label, "a": label}
        for i, label in enumerate(["negative", "neutral", "positive"] * 4)
    ]
    replies = []
    for i, tweet in enumerate(tweets):
        same = _variant(
            tweet["id"], "typos", 0, "same_answer", tweet["text"].replace("flight", "flihgt")
        )
        # Every third reply to a typo'd tweet names the wrong label: the audit's three.
        wrong = {"negative": "positive", "neutral": "negative", "positive": "neutral"}
        replies.append((same, wrong[tweet["label"]] if i % 4 == 0 else tweet["label"]))
        asks = _variant(tweet["id"], "truncate", 0, "ask_for_detail", tweet["text"][:6])
        replies.append((asks, tweet["label"]))
    loaded = _suite(tmp_path, server, tweets, replies)
    run = await run_with_edges_async(loaded, store, use_cache=False)

    await grade_edges(store, loaded, run.id)

    stored = {row.example_id: row for row in EdgeStore(store).outcomes(run.id)}
    for var, reply in replies:
        row = stored[var.id]
        if var.expect == "same_answer":
            # Decided by the label, not by the judge: the wrong labels are caught.
            expected = (
                "correct"
                if reply == next(t["label"] for t in tweets if t["id"] == var.original_id)
                else "catastrophic"
            )
            assert (row.oracle, row.outcome) == ("reference", expected), (var.id, reply)
            assert row.judge_call_id is None
        else:
            assert row.oracle == "judge" and row.kind == "correct"
    assert sum(row.outcome == "catastrophic" for row in stored.values()) == 3

    report = edge_report(store, run.id)
    assert report is not None
    assert report.warnings[0].startswith(
        "12 of 24 graded replies were classified by the judge, which is not calibrated"
    )
    assert "(the rest by rule: reference 12)" in report.warnings[0]
    assert report.warnings[1].startswith("the judge classified all 12 replies it read as 'correct'")
