from __future__ import annotations

import io
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from fieldeval.data.dataset import load_dataset
from fieldeval.importers.scaffold import scaffold_suite
from fieldeval.suite.candidates import LocalCandidate
from fieldeval.suite.schema import Suite

# CFPB Consumer Complaint Database (US federal public data), via
# elderflamevandle/Consumer-Complaints-Classification-Agentic-Pipeline, data/demos_25.csv.
CFPB = Path("/work/shared/data/cfpb-complaints/demos_25.csv")


def parse(text: str) -> Suite:
    data: Any = YAML(typ="safe").load(io.StringIO(text))
    return Suite.model_validate(data)


@pytest.fixture
def complaints_csv(tmp_path: Path) -> Path:
    (tmp_path / "data").mkdir()
    return Path(shutil.copyfile(CFPB, tmp_path / "data" / "complaints.csv"))


def test_complaints_suite_is_valid_and_guesses_well(complaints_csv: Path, tmp_path: Path) -> None:
    text = scaffold_suite(complaints_csv, suite_dir=tmp_path)
    suite = parse(text)

    assert suite.task.name == "complaints"
    assert suite.task.description.startswith("TODO: say what the model must do")
    assert suite.task.prompt.template == "{{ narrative }}"
    assert suite.dataset.path == "data/complaints.csv"
    assert (suite.dataset.id, suite.dataset.input, suite.dataset.reference) == (
        "id",
        "narrative",
        None,
    )
    assert suite.dataset.slices == ("product", "issue")  # state: 14 values in 25 rows
    (candidate,) = suite.candidates
    assert isinstance(candidate, LocalCandidate)
    assert candidate.params == {"max_tokens": 200, "temperature": 0}
    assert [check.model_dump()["value"] for check in suite.checks] == [100]
    assert "api_key_env: OPENAI_API_KEY" in text
    assert '#   narrative  "I am writing to report' in text


def test_scaffolded_dataset_section_loads(complaints_csv: Path, tmp_path: Path) -> None:
    suite = parse(scaffold_suite(complaints_csv, suite_dir=tmp_path))
    assert len(load_dataset(suite.dataset, base_dir=tmp_path)) == 25


def test_reference_column_and_no_id(tmp_path: Path) -> None:
    data = tmp_path / "qa set.csv"
    data.write_text(
        "question,expected_answer\nWhat is 2+2?,4\nCapital of France?,Paris\n", encoding="utf-8"
    )
    text = scaffold_suite(data, suite_dir=tmp_path)
    suite = parse(text)
    assert suite.task.name == "qa-set"
    assert (suite.dataset.id, suite.dataset.input, suite.dataset.reference) == (
        None,
        "question",
        "expected_answer",
    )
    assert "# id: no field is named like an id (id, uuid, *_id), so each row's id hashes" in text
    assert '{equals: "{{ expected_answer }}"}' in text


def test_an_id_column_that_repeats_says_why_it_was_not_taken(tmp_path: Path) -> None:
    # The audit's tweets: tweet_id repeated, and `init` said only "no field looks like a
    # unique id".
    data = tmp_path / "tweets.csv"
    rows = ["tweet_id,text"] + [f"{i % 3},tweet number {i}" for i in range(8)]
    data.write_text("\n".join(rows) + "\n", encoding="utf-8")
    text = scaffold_suite(data, suite_dir=tmp_path)
    assert parse(text).dataset.id is None
    assert "# id: tweet_id looks like an id but 5 of its 8 values repeat, so each row" in text


def test_a_reply_column_is_the_reference_not_the_input(tmp_path: Path) -> None:
    # The audit's support tweets: `init` took the agents' replies (the longer text) as the
    # input and set no reference.
    data = tmp_path / "support.csv"
    rows = [
        "author,customer_tweet,agent_reply",
        'ana,my bag is lost,"So sorry to hear that, Ana. Please DM us your file reference and'
        ' we will track it down for you right away."',
        'ben,flight delayed again,"We apologise for the delay, Ben. Our team is working to get'
        ' you on your way as soon as we can."',
    ]
    data.write_text("\n".join(rows) + "\n", encoding="utf-8")
    suite = parse(scaffold_suite(data, suite_dir=tmp_path))
    assert (suite.dataset.input, suite.dataset.reference) == ("customer_tweet", "agent_reply")


def test_chat_logs_use_the_conversation_prompt(tmp_path: Path) -> None:
    data = tmp_path / "chats.jsonl"
    rows = [
        {"messages": [{"role": "user", "content": q}, {"role": "assistant", "content": a}]}
        for q, a in [("Hi", "Hello!"), ("Card lost", "I have frozen it.")]
    ]
    data.write_text("\n".join(json.dumps(row) for row in rows), encoding="utf-8")
    suite = parse(scaffold_suite(data, suite_dir=tmp_path))
    assert suite.task.prompt.conversation == "messages"
    assert (suite.dataset.input, suite.dataset.reference) == ("input", "reference")


def test_awkward_column_names_still_give_a_valid_suite(tmp_path: Path) -> None:
    data = tmp_path / "odd.csv"
    data.write_text('"customer message","yes"\n"a: b, #c",x\n"d",y\n', encoding="utf-8")
    suite = parse(scaffold_suite(data, suite_dir=tmp_path))
    assert suite.dataset.input == "customer message"
    assert suite.task.prompt.template is not None
