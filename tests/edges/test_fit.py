"""Which generators fit the task's kind, and the expectation each runs under."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from fieldeval.data.dataset import load_dataset
from fieldeval.edges.expand import fitting, make_variants
from fieldeval.edges.fit import FITS, Unfit
from fieldeval.edges.registry import GENERATORS
from fieldeval.suite.loader import load_suite

TWEETS = [
    ("t1", "My flight was delayed four hours and nobody told us anything at the gate.", "negative"),
    ("t2", "Thanks for the upgrade on my flight to Denver, the crew was lovely today!", "positive"),
    ("t3", "Is the 6pm flight to Boston on time? I need to know before I leave home.", "neutral"),
    (
        "t4",
        "Lost my bag on the flight from Chicago and the desk had no idea where it was.",
        "negative",
    ),
    ("t5", "Best crew ever on the morning flight, they even had my favourite snacks.", "positive"),
    ("t6", "Which terminal does the Miami flight leave from on Sunday afternoon?", "neutral"),
    ("t7", "Two hours on the tarmac with no water. Never flying with you again.", "negative"),
    ("t8", "Do you allow pets in the cabin on flights to Seattle in December?", "neutral"),
]
LISTED = [
    "typos",
    "hostile",
    "truncated",
    "very_short",
    "out_of_scope",
    "missing_evidence",
    "injection",
]


def _suite(folder: Path, **extra: Any) -> Path:
    with (folder / "tweets.jsonl").open("w", encoding="utf-8") as handle:
        for i, text, label in TWEETS:
            handle.write(json.dumps({"id": i, "text": text, "sentiment": label}) + "\n")
    suite: dict[str, Any] = {
        "task": {
            "name": "tweets",
            "description": "Label each tweet's sentiment.",
            "prompt": "{{ text }}",
        },
        "dataset": {"path": "tweets.jsonl", "id": "id", "input": "text", "reference": "sentiment"},
        "candidates": [{"id": "echo", "provider": "python", "function": "x:y"}],
        "edges": {"generators": extra.pop("generators", LISTED)},
        **extra,
    }
    path = folder / "suite.yaml"
    path.write_text(json.dumps(suite), encoding="utf-8")
    return path


def _expectations(path: Path) -> dict[str, set[str]]:
    loaded = load_suite(path)
    dataset = load_dataset(loaded.suite.dataset, base_dir=loaded.base_dir)
    found: dict[str, set[str]] = {}
    for _seed, variant in make_variants(dataset, loaded.suite):
        found.setdefault(variant.generator, set()).add(variant.expect)
    return found


def test_a_reference_of_labels_makes_a_classifier_and_only_what_fits_runs(tmp_path: Path) -> None:
    path = _suite(tmp_path)
    loaded = load_suite(path)
    fitted = fitting(loaded.suite, load_dataset(loaded.suite.dataset, base_dir=tmp_path))
    assert (fitted.kind, fitted.source) == ("classifier", "the reference 'sentiment' holds labels")
    assert [name for name, _ in fitted.unfit] == [
        "hostile",
        "truncated",
        "very_short",
        "missing_evidence",
    ]
    assert _expectations(path) == {
        "typos": {"same_answer"},
        "out_of_scope": {"ignore_instruction"},
        "injection": {"ignore_instruction"},
    }


def test_the_suite_s_expect_runs_a_generator_that_does_not_fit(tmp_path: Path) -> None:
    path = _suite(tmp_path, generators=[{"name": "hostile", "expect": "same_answer"}])
    assert _expectations(path) == {"hostile": {"same_answer"}}


def test_an_assistant_keeps_every_generator_s_own_expectation(tmp_path: Path) -> None:
    path = _suite(tmp_path, labels=False)
    loaded = load_suite(path)
    assert fitting(loaded.suite, None).kind == "assistant"
    found = _expectations(path)
    assert found == {name: {GENERATORS[name].expect} for name in LISTED}
    assert found["truncated"] == {"ask_for_detail"}


@pytest.mark.parametrize("kind", ["classifier", "extractor", "writer", "assistant"])
def test_every_entry_of_the_table_names_a_generator_and_gives_a_reason(kind: str) -> None:
    for name, fit in FITS[kind].items():  # type: ignore[index]
        assert name in GENERATORS
        assert not isinstance(fit, Unfit) or len(fit.reason) > 20


def test_the_stated_kind_wins_over_the_labels(tmp_path: Path) -> None:
    path = _suite(
        tmp_path,
        task={
            "name": "tweets",
            "description": "Reply to the tweet.",
            "prompt": "{{ text }}",
            "kind": "writer",
        },
    )
    found = _expectations(path)
    assert found["truncated"] == {"ask_for_detail"} and found["out_of_scope"] == {
        "ignore_instruction"
    }
