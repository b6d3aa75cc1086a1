"""A flaky API and hostile data: nothing lost, nothing evaluated that should not be."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.doubles.fixtures import ServerHandle, start_server
from tests.projects.suite_files import SuiteFiles

from fieldeval.results.summary import summarize
from fieldeval.runner import run_suite
from fieldeval.runner.events import Event, Retrying
from fieldeval.store import Store
from fieldeval.suite.loader import load_suite

FAULT_RATES = {"500": 0.10, "429": 0.05, "timeout": 0.02, "drop": 0.02, "truncate": 0.01,
               "malformed": 0.01, "empty": 0.03}  # fmt: skip


@pytest.fixture(scope="module")
def flaky_server() -> Iterator[ServerHandle]:
    config = json.dumps({"rates": FAULT_RATES, "seed": 7})
    with start_server("--config", config) as handle:
        yield handle


def test_a_500_example_run_on_a_flaky_api_loses_nothing(
    tmp_path: Path, flaky_server: ServerHandle
) -> None:
    files = SuiteFiles(tmp_path, flaky_server.url)
    texts = [f"flaky question {i}" for i in range(500)]
    candidate = files.candidate(
        concurrency=50, timeout_s=1, retry={"attempts": 3, "backoff_s": 0.01}
    )
    suite = files.write(texts, candidates=[candidate])
    store = Store.open(f"sqlite:///{tmp_path / 'r.db'}")
    retries: list[Retrying] = []

    def record(event: Event) -> None:
        if isinstance(event, Retrying):
            retries.append(event)

    info = run_suite(load_suite(suite), store, on_event=record)
    outputs = store.outputs(info.id)
    (summary,) = summarize(info, outputs).candidates

    # Every example is there exactly once, answered correctly or stored as an error.
    assert info.status == "finished"
    assert sorted(o.example_id for o in outputs) == sorted(f"e{i}" for i in range(500))
    for output in outputs:
        if output.ok:
            assert output.text == f"echo: flaky question {output.example_id[1:]}"
        else:
            assert output.error_kind is not None and output.error_message
            assert output.attempts == 3
    # The counts reported add up: answered + errors = n; retries happened and are counted.
    assert summary.answered + summary.error_count == summary.n == 500
    assert summary.retried == sum(o.attempts > 1 for o in outputs) > 0
    assert len(retries) == sum(o.attempts - 1 for o in outputs)
    # Each fault kind the server injected was seen and handled.
    faults = flaky_server.stats()["faults"]
    assert set(faults) >= {"500", "429", "timeout", "drop", "empty"}
    # An empty stream is never an answer: no stored answer is empty.
    assert all(o.text for o in outputs if o.ok)
    # With three attempts at ~21% faults, ~1% of examples are expected to fail for good.
    assert summary.error_count < 25
    assert flaky_server.stats()["calls"] == sum(o.attempts for o in outputs)
    assert store.integrity_check() == []
    store.close()


def test_dataset_text_is_sent_as_written_never_evaluated_as_a_template(
    suite_files: SuiteFiles, server: ServerHandle, tmp_path: Path
) -> None:
    hostile = [
        "{{ 7 * 7 }} and {{ config }}",
        "{% for x in range(3) %}loop{% endfor %}",
        "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    ]
    # The check's own argument is the team's template; the field it names is data.
    suite = suite_files.write(hostile, checks=[{"contains": "{{ text }}"}])
    store = Store.open(f"sqlite:///{tmp_path / 'h.db'}")

    info = run_suite(load_suite(suite), store)

    prompts = server.stats()["prompts"]
    for text in hostile:
        assert prompts.get(text) == 1  # the server received the literal text
    outputs = {o.example_id: o for o in store.outputs(info.id)}
    assert outputs["e0"].text == "echo: {{ 7 * 7 }} and {{ config }}"
    assert all(o.checks[0].passed for o in outputs.values())  # checks see it literally too
    assert outputs["e1"].text == "echo: {% for x in range(3) %}loop{% endfor %}"
    store.close()
