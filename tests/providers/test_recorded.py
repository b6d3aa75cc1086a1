"""Recorded candidates: outputs read from a file, matched by example id, run through the runner."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from fieldeval.errors import DataError
from fieldeval.records.run import StoredOutput
from fieldeval.runner import run_suite
from fieldeval.store import Store
from fieldeval.suite.loader import load_suite

SUITE = """\
task:
  name: replies
  description: Reply to the customer.
  prompt: "Reply to: {{ text }}"
dataset:
  path: data.csv
  id: id
candidates:
  - id: prod
    provider: recorded
    path: logs/outputs.csv
    output_field: answer
    latency_field: ms
    input_tokens_field: tin
    output_tokens_field: tout
  - id: chatbot
    provider: recorded
    path: logs/chats.jsonl
checks:
  - {contains: sorry, id: apologises}
"""


def chat(example_id: str, question: str, answer: str) -> str:
    turns = [
        {"role": "system", "content": "Be kind."},
        {"role": "user", "content": question},
        {"role": "assistant", "content": answer},
    ]
    return json.dumps({"id": example_id, "messages": turns})


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "data.csv").write_text(
        "id,text\nq1,my parcel is late\nq2,wrong size\nq3,refund please\nq4,where is it\n",
        encoding="utf-8",
    )
    logs = tmp_path / "logs"
    logs.mkdir()
    # q4 was never answered in production: it must be an error, not a pass or a skip.
    (logs / "outputs.csv").write_text(
        "id,answer,ms,tin,tout\n"
        "q1,So sorry about the delay!,812.5,20,6\n"
        "q2,We can swap it.,430,18,4\n"
        "q3,sorry - refund sent,,,\n",
        encoding="utf-8",
    )
    (logs / "chats.jsonl").write_text(
        "\n".join(
            [
                chat("q1", "my parcel is late", "Sorry, it ships today."),
                chat("q2", "wrong size", "Please return it."),
                chat("q3", "refund please", "Sorry, refunded."),
                chat("q4", "where is it", "sorry, tracking: 123"),
            ]
        )
        + "\n",
        encoding="utf-8",
    )
    suite = tmp_path / "suite.yaml"
    suite.write_text(SUITE, encoding="utf-8")
    return suite


def outputs_of(store: Store, run_id: str) -> dict[tuple[str, str], StoredOutput]:
    return {(o.candidate_id, o.example_id): o for o in store.outputs(run_id)}


def test_recorded_outputs_are_graded_by_the_runner(project: Path, store: Store) -> None:
    info = run_suite(load_suite(project), store)
    got = outputs_of(store, info.id)
    assert len(got) == 8

    q1 = got[("prod", "q1")]
    assert q1.text == "So sorry about the delay!"
    assert q1.latency_ms == pytest.approx(812.5)
    assert (q1.input_tokens, q1.output_tokens, q1.usage_estimated) == (20, 6, False)
    assert [(c.check_id, c.passed) for c in q1.checks] == [("apologises", True)]
    assert got[("prod", "q2")].checks[0].passed is False

    q3 = got[("prod", "q3")]  # empty cells: usage estimated and marked, no latency
    assert q3.text == "sorry - refund sent"
    assert q3.usage_estimated and q3.output_tokens is not None and q3.latency_ms is None

    missing = got[("prod", "q4")]
    assert missing.error_kind == "not_recorded"
    assert missing.text is None and not missing.passed and missing.attempts == 1
    assert missing.error_message is not None
    assert "no recorded output for example 'q4' in outputs.csv" in missing.error_message

    # Chat logs: the final assistant message is the output.
    assert got[("chatbot", "q1")].text == "Sorry, it ships today."
    assert got[("chatbot", "q4")].text == "sorry, tracking: 123"
    assert got[("chatbot", "q2")].checks[0].passed is False
    assert got[("chatbot", "q4")].checks[0].passed is True
    assert all(got[("chatbot", e)].usage_estimated for e in ("q1", "q2", "q3", "q4"))


def test_an_edited_file_is_read_again_not_served_from_the_cache(
    project: Path, store: Store
) -> None:
    loaded = load_suite(project)
    first = run_suite(loaded, store)
    again = outputs_of(store, run_suite(loaded, store).id)
    assert again[("prod", "q1")].from_cache  # the same file: nothing to read again

    csv_path = project.parent / "logs" / "outputs.csv"
    csv_path.write_text(
        csv_path.read_text(encoding="utf-8").replace("So sorry", "Truly sorry"), encoding="utf-8"
    )
    edited = outputs_of(store, run_suite(loaded, store).id)
    assert edited[("prod", "q1")].text == "Truly sorry about the delay!"
    assert not edited[("prod", "q1")].from_cache
    assert outputs_of(store, first.id)[("prod", "q1")].text == "So sorry about the delay!"


def test_examples_with_the_same_prompt_keep_their_own_outputs(project: Path, store: Store) -> None:
    folder = project.parent
    (folder / "data.csv").write_text("id,text\nq1,same\nq2,same\n", encoding="utf-8")
    loaded = load_suite(project)
    for _ in range(2):  # the second run is answered from the cache
        got = outputs_of(store, run_suite(loaded, store).id)
        assert got[("prod", "q1")].text == "So sorry about the delay!"
        assert got[("prod", "q2")].text == "We can swap it."


def test_a_repeated_id_is_rejected_naming_the_file_and_rows(project: Path, store: Store) -> None:
    csv_path = project.parent / "logs" / "outputs.csv"
    csv_path.write_text("id,answer,ms,tin,tout\nq1,a,,,\nq2,b,,,\nq1,c,,,\n", encoding="utf-8")
    with pytest.raises(DataError) as raised:
        run_suite(load_suite(project), store)
    message = str(raised.value)
    assert (
        "example id 'q1' (field 'id') is recorded twice: outputs.csv:2 and outputs.csv:4" in message
    )
    assert str(csv_path) in message
    assert store.runs() == []  # rejected at run start: no run half-made


def test_a_missing_output_column_names_the_setting_and_the_fields(
    project: Path, store: Store
) -> None:
    (project.parent / "logs" / "outputs.csv").write_text(
        "id,reply,ms,tin,tout\nq1,a,,,\n", encoding="utf-8"
    )
    with pytest.raises(DataError) as raised:
        run_suite(load_suite(project), store)
    message = str(raised.value)
    assert "candidate 'prod' has `output_field: answer`" in message
    assert "no field 'answer'" in message
    assert "id, reply, ms" in message


def test_a_missing_file_names_the_candidate(project: Path, store: Store) -> None:
    (project.parent / "logs" / "chats.jsonl").unlink()
    with pytest.raises(DataError, match=r"recorded outputs file not found: .*chats\.jsonl"):
        run_suite(load_suite(project), store)


def fieldeval(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "FIELDEVAL_DB"}
    env["COLUMNS"] = "200"
    return subprocess.run(
        [sys.executable, "-m", "fieldeval", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_fieldeval_run_grades_recorded_outputs_end_to_end(project: Path) -> None:
    folder = project.parent
    result = fieldeval(folder, "run", "suite.yaml", "--db", "r.db", "--quiet")
    assert result.returncode == 0, result.stderr
    assert "prod" in result.stdout and "chatbot" in result.stdout
    assert "not_recorded" in result.stdout  # the missing example is reported as an error

    (folder / "logs" / "outputs.csv").write_text(
        "id,answer,ms,tin,tout\nq1,a,,,\nq1,b,,,\n", encoding="utf-8"
    )
    run_args = ("run", "suite.yaml", "--db", "r.db", "--quiet")
    for args in (run_args, ("validate", "suite.yaml")):  # validate reads the file too
        failed = fieldeval(folder, *args)
        assert failed.returncode == 2, failed.stderr
        assert failed.stderr.startswith("error: ")
        assert "outputs.csv" in failed.stderr and "recorded twice" in failed.stderr
        assert "Traceback" not in failed.stderr


def test_outputs_recorded_for_no_example_are_named_by_validate_and_run(project: Path) -> None:
    # The audit: `recorded` ignored output ids absent from the dataset, without a word.
    folder = project.parent
    with (folder / "logs" / "outputs.csv").open("a", encoding="utf-8") as log:
        log.write("Q1,typo'd id,,,\nq9,never asked,,,\n")
    for args in (("validate", "suite.yaml"), ("run", "suite.yaml", "--db", "r.db", "--quiet")):
        result = fieldeval(folder, *args)
        assert result.returncode == 0, result.stderr
        warning = next(line for line in result.stdout.splitlines() if "answer no example" in line)
        assert warning.startswith("warning: candidate 'prod': 2 of 5 recorded outputs")
        assert "'Q1', 'q9'" in warning and "outputs.csv:5" in warning
        assert "chatbot" not in warning  # its four ids are all the dataset's
    sampled = fieldeval(folder, "run", "suite.yaml", "--db", "r.db", "--quiet", "--sample", "2")
    assert sampled.returncode == 0 and "answer no example" not in sampled.stdout
