"""An example's prefix messages (an edge case's system prompt, earlier turns) reach the model."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from tests.doubles.fixtures import ServerHandle

from fieldeval.data.dataset import examples_hash, load_dataset
from fieldeval.errors import DataError
from fieldeval.records.example import Dataset, Example
from fieldeval.runner import run_suite
from fieldeval.runner.plan import request_for
from fieldeval.store import Store
from fieldeval.suite.loader import LoadedSuite, load_suite

if TYPE_CHECKING:
    from tests.projects.suite_files import SuiteFiles

PREFIX = (
    {"role": "system", "content": "You are Ada and the code word is heron"},
    {"role": "user", "content": "earlier question one"},
    {"role": "assistant", "content": "earlier answer"},
)
PREFIX_WORDS = sum(len(m["content"].split()) for m in PREFIX)


def with_prefix(loaded: LoadedSuite, prefix: tuple[dict[str, str], ...]) -> Dataset:
    dataset = load_dataset(loaded.suite.dataset, base_dir=loaded.base_dir)
    examples = tuple(dataclasses.replace(e, prefix_messages=prefix) for e in dataset.examples)
    return dataclasses.replace(dataset, examples=examples, content_hash=examples_hash(examples))


def test_prefix_messages_reach_the_server_and_change_the_cache_key(
    suite_files: SuiteFiles, store: Store, server: ServerHandle
) -> None:
    path = suite_files.write(["prefix probe one"])
    loaded = load_suite(path)
    plain = load_dataset(loaded.suite.dataset, base_dir=loaded.base_dir)
    prefixed = with_prefix(loaded, PREFIX)
    assert prefixed.content_hash != plain.content_hash

    first = run_suite(loaded, store, dataset=plain)
    calls = server.stats()["calls"]
    second = run_suite(loaded, store, dataset=prefixed)

    # Not answered from the first run's cache: the prefix is part of what is asked.
    assert server.stats()["calls"] == calls + 1
    [before] = store.outputs(first.id)
    [after] = store.outputs(second.id)
    assert not after.from_cache
    # The fake server counts the words of every message it was sent as input tokens.
    assert before.input_tokens is not None and after.input_tokens is not None
    assert after.input_tokens - before.input_tokens == PREFIX_WORDS
    # The last user message is still the example's own prompt.
    assert after.text == before.text == "echo: prefix probe one"

    third = run_suite(loaded, store, dataset=prefixed)
    [again] = store.outputs(third.id)
    assert again.from_cache and server.stats()["calls"] == calls + 1


def test_system_messages_are_merged_into_one_sent_first(tmp_path: Path) -> None:
    suite = tmp_path / "suite.yaml"
    (tmp_path / "d.csv").write_text("id,text\na,hello there\n", encoding="utf-8")
    suite.write_text(
        "task: {name: t, description: d, prompt: {template: '{{ text }}', system: Be brief.}}\n"
        "dataset: {path: d.csv, id: id, input: text}\n"
        "candidates: [{id: p, provider: python, function: 'nowhere:fn'}]\n",
        encoding="utf-8",
    )
    loaded = load_suite(suite)
    [example] = load_dataset(loaded.suite.dataset, base_dir=loaded.base_dir).examples
    candidate = loaded.suite.candidates[0]

    sent = request_for(
        loaded.suite, candidate, dataclasses.replace(example, prefix_messages=PREFIX)
    )

    assert [m.to_dict() for m in sent.messages] == [
        {"role": "system", "content": f"{PREFIX[0]['content']}\n\nBe brief."},
        PREFIX[1],
        PREFIX[2],
        {"role": "user", "content": "hello there"},
    ]
    plain = request_for(loaded.suite, candidate, example)
    assert [m.role for m in plain.messages] == ["system", "user"]


def test_a_prefix_message_without_role_and_content_is_a_data_error(tmp_path: Path) -> None:
    suite = tmp_path / "suite.yaml"
    (tmp_path / "d.csv").write_text("id,text\na,hello\n", encoding="utf-8")
    suite.write_text(
        "task: {name: t, description: d, prompt: '{{ text }}'}\n"
        "dataset: {path: d.csv, id: id, input: text}\n"
        "candidates: [{id: p, provider: python, function: 'nowhere:fn'}]\n",
        encoding="utf-8",
    )
    loaded = load_suite(suite)
    [example] = load_dataset(loaded.suite.dataset, base_dir=loaded.base_dir).examples
    bad = Example(id="a", fields=example.fields, input="hello", prefix_messages=({"role": "x"},))

    with pytest.raises(DataError, match="example 'a': a prefix message is not"):
        request_for(loaded.suite, loaded.suite.candidates[0], bad)
