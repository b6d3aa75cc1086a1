"""Running suites end to end against the fake model server, a separate process on loopback."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from tests.doubles.fixtures import ServerHandle

from fieldeval.data.dataset import load_dataset
from fieldeval.errors import SuiteError
from fieldeval.records.run import StoredOutput
from fieldeval.results.summary import summarize
from fieldeval.runner import run_suite
from fieldeval.runner.events import Event, OutputFinished, Retrying, RunFinished, RunStarted
from fieldeval.store import Store
from fieldeval.suite.loader import load_suite

if TYPE_CHECKING:
    from tests.projects.suite_files import SuiteFiles

SECRET = "sk-test-SECRET123"


@pytest.fixture
def store_url(tmp_path: Path) -> str:
    """SQLite only here: the module's fake server counts calls per prompt, so a second
    backend would send the same prompts again and see the first one's counts. The store on
    PostgreSQL is tested in tests/store and wherever a test's server is its own."""
    return f"sqlite:///{tmp_path / 'results.db'}"


def by_key(outputs: list[StoredOutput]) -> dict[tuple[str, str], StoredOutput]:
    return {(o.candidate_id, o.example_id): o for o in outputs}


def calls_for(server: ServerHandle, prompt: str) -> int:
    return int(server.stats()["prompts"].get(prompt, 0))


# -- every example, every candidate ------------------------------------------------------


def test_every_example_and_candidate_is_stored_with_its_measurements(
    suite_files: SuiteFiles,
    store: Store,
    server: ServerHandle,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("FAKE_KEY", SECRET)
    texts = ["full alpha", "full beta gamma", "full [[reply:nothing here]]", "full [[fail:401]]"]
    path = suite_files.write(
        texts,
        candidates=[
            suite_files.candidate("streamed", api_key_env="FAKE_KEY", prompt="S {{ text }}"),
            suite_files.candidate(
                "whole",
                api_key_env="FAKE_KEY",
                stream=False,
                prompt="W {{ text }}",
                params={"temperature": 0.2},
            ),
        ],
    )
    loaded = load_suite(path)
    events: list[Event] = []

    info = run_suite(loaded, store, on_event=events.append)

    assert info.status == "finished"
    assert info.finished_at is not None
    assert info.candidates == ("streamed", "whole")
    assert info.n_planned == 8
    outputs = by_key(store.outputs(info.id))
    assert set(outputs) == {(c, f"e{i}") for c in ("streamed", "whole") for i in range(4)}
    for cid, letter in (("streamed", "S"), ("whole", "W")):
        first = outputs[(cid, "e0")]
        assert first.text == f"echo: {letter} full alpha"
        assert first.ok and first.error_kind is None
        assert first.attempts == 1 and not first.from_cache
        assert first.output_tokens == 4  # the server counts words
        assert first.input_tokens is not None and first.input_tokens > 0
        assert not first.usage_estimated
        assert first.latency_ms is not None and first.latency_ms > 0
        assert [(c.check_id, c.passed) for c in first.checks] == [("contains", True)]
        assert "echo" in first.checks[0].reason
        failing = outputs[(cid, "e2")]
        assert failing.text == "nothing here"
        assert [c.passed for c in failing.checks] == [False]
        assert "echo" in failing.checks[0].reason
        refused = outputs[(cid, "e3")]
        assert refused.error_kind == "client_error"
        assert refused.attempts == 1  # a bad key is not retried
        assert refused.text is None and refused.checks == ()
        assert refused.error_message is not None
        assert "Incorrect API key" in refused.error_message  # the server did echo the key
    # Time to first token exists only when the answer streams.
    assert outputs[("streamed", "e1")].ttft_ms is not None
    assert 0 < outputs[("streamed", "e1")].ttft_ms <= outputs[("streamed", "e1")].latency_ms
    assert outputs[("whole", "e1")].ttft_ms is None

    dataset = load_dataset(loaded.suite.dataset, base_dir=loaded.base_dir)
    assert info.dataset_hash == dataset.content_hash
    assert info.suite_hash == loaded.suite_hash
    configs = store.candidate_configs(info.id)
    assert list(configs) == ["streamed", "whole"]
    assert configs["whole"]["stream"] is False
    assert configs["whole"]["params"] == {"temperature": 0.2}
    assert configs["whole"]["base_url"] == server.url
    assert configs["streamed"]["api_key_env"] == "FAKE_KEY"

    started = [e for e in events if isinstance(e, RunStarted)]
    finished = [e for e in events if isinstance(e, OutputFinished)]
    assert len(started) == 1 and started[0].planned == {"streamed": 4, "whole": 4}
    assert len(finished) == 8
    assert events[-1] == RunFinished(info.id, "finished")

    # The server echoes the key back on a 401; it must not reach the database file.
    db_file = tmp_path / "results.db"
    for suffix in ("", "-wal"):
        if (tmp_path / f"results.db{suffix}").exists():
            assert SECRET.encode() not in (tmp_path / f"results.db{suffix}").read_bytes()
    store.close()
    assert SECRET.encode() not in db_file.read_bytes()


# -- retries and errors ------------------------------------------------------------------


def test_retries_recover_and_unrecoverable_calls_are_stored_as_errors(
    suite_files: SuiteFiles, store: Store, server: ServerHandle
) -> None:
    texts = [
        "retry fine",
        "retry [[fail:500x2]]",
        "retry [[fail:429x1]]",
        "retry [[fail:500]]",
        "retry [[fail:timeout]]",
        "retry [[fail:drop]]",
        "retry [[fail:malformed]]",
        "retry [[fail:truncate]]",
        "retry [[reply:no greeting]]",
    ]
    retry = {"attempts": 3, "backoff_s": 0.02}
    path = suite_files.write(
        texts,
        candidates=[
            suite_files.candidate("streamed", prompt="S {{ text }}", retry=retry, timeout_s=0.5),
            suite_files.candidate(
                "whole", prompt="W {{ text }}", retry=retry, timeout_s=0.5, stream=False
            ),
        ],
    )
    events: list[Event] = []

    info = run_suite(load_suite(path), store, on_event=events.append)

    assert info.status == "finished"
    outputs = by_key(store.outputs(info.id))
    assert len(outputs) == 18
    for cid, letter in (("streamed", "S"), ("whole", "W")):
        recovered = outputs[(cid, "e1")]
        assert recovered.ok and recovered.attempts == 3
        assert recovered.text == f"echo: {letter} retry"
        assert calls_for(server, f"{letter} retry [[fail:500x2]]") == 3
        limited = outputs[(cid, "e2")]
        assert limited.ok and limited.attempts == 2
        waits = [
            e.wait_s
            for e in events
            if isinstance(e, Retrying) and e.candidate_id == cid and e.example_id == "e2"
        ]
        assert len(waits) == 1 and waits[0] >= 0.2  # Retry-After: 0.2 beats 0.02 s backoff
        expected = {
            "e3": "server_error",
            "e4": "timeout",
            "e5": "connection",
            "e6": "bad_response",
            "e7": "bad_response",
        }
        for example_id, kind in expected.items():
            failed = outputs[(cid, example_id)]
            assert (failed.error_kind, failed.attempts) == (kind, 3), (cid, example_id, failed)
            assert failed.text is None and failed.checks == ()
            assert failed.error_message
        assert calls_for(server, f"{letter} retry [[fail:500]]") == 3
        assert calls_for(server, f"{letter} retry [[fail:timeout]]") == 3
        assert calls_for(server, f"{letter} retry [[fail:truncate]]") == 3

    summary = summarize(info, store.outputs(info.id))
    assert summary.missing == 0
    for candidate in summary.candidates:
        assert candidate.n == 9
        assert candidate.answered == 4
        assert candidate.errors == {
            "server_error": 1,
            "timeout": 1,
            "connection": 1,
            "bad_response": 2,
        }
        assert candidate.error_count == 5
        # Errors are not failed checks: only the answered "no greeting" fails its check.
        assert candidate.check_failures == {"contains": 1}
        assert (candidate.pass_rate.k, candidate.pass_rate.n) == (3, 4)
        assert candidate.retried == 7


# -- cache -------------------------------------------------------------------------------


def test_second_run_is_answered_from_the_cache_without_calls(
    suite_files: SuiteFiles, store: Store, server: ServerHandle
) -> None:
    texts = [f"cache item {i}" for i in range(5)]
    path = suite_files.write(texts)
    loaded = load_suite(path)
    first = run_suite(loaded, store)
    calls_before = server.stats()["calls"]

    second = run_suite(loaded, store)

    assert server.stats()["calls"] == calls_before
    assert second.id != first.id and second.status == "finished"
    old = by_key(store.outputs(first.id))
    new = by_key(store.outputs(second.id))
    assert set(new) == set(old)
    for key, output in new.items():
        assert output.from_cache and output.attempts == 0
        assert output.text == old[key].text == f"echo: {texts[int(key[1][1:])]}"
        assert output.output_tokens == old[key].output_tokens
        assert [c.passed for c in output.checks] == [True]
    assert summarize(second, store.outputs(second.id)).candidates[0].from_cache == 5

    third = run_suite(loaded, store, use_cache=False)

    assert server.stats()["calls"] == calls_before + 5
    assert not any(o.from_cache for o in store.outputs(third.id))
    for text in texts:
        assert calls_for(server, text) == 2


def test_cache_key_follows_params_but_not_concurrency_or_timeouts(
    suite_files: SuiteFiles, store: Store, server: ServerHandle
) -> None:
    texts = ["param one", "param two"]
    run_suite(
        load_suite(
            suite_files.write(
                texts, candidates=[suite_files.candidate(params={"temperature": 0.5})]
            )
        ),
        store,
    )
    calls = server.stats()["calls"]

    same = run_suite(
        load_suite(
            suite_files.write(
                texts,
                candidates=[
                    suite_files.candidate(params={"temperature": 0.5}, concurrency=1, timeout_s=9)
                ],
            )
        ),
        store,
    )
    assert server.stats()["calls"] == calls
    assert all(o.from_cache for o in store.outputs(same.id))

    changed = run_suite(
        load_suite(
            suite_files.write(
                texts, candidates=[suite_files.candidate(params={"temperature": 0.9})]
            )
        ),
        store,
    )
    assert server.stats()["calls"] == calls + 2
    assert not any(o.from_cache for o in store.outputs(changed.id))


# -- resume ------------------------------------------------------------------------------


def fieldeval(*args: str, cwd: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "200"}
    env.pop("FIELDEVAL_DB", None)
    return subprocess.Popen(
        [sys.executable, "-m", "fieldeval", *args],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finish(process: subprocess.Popen[str], timeout: float = 60) -> tuple[int, str]:
    out, err = process.communicate(timeout=timeout)
    return process.returncode, out + err


def test_killed_cli_run_resumes_without_repeating_answered_calls(
    suite_files: SuiteFiles, server: ServerHandle, db_url: str, tmp_path: Path
) -> None:
    texts = [f"resume row {i} [[delay:0.05]]" for i in range(60)]
    path = suite_files.write(texts, candidates=[suite_files.candidate(concurrency=2)])
    Store.open(db_url).close()  # migrated before two processes open it at once
    process = fieldeval("run", str(path), "--db", db_url, "-q", cwd=tmp_path)
    try:
        deadline = time.monotonic() + 30
        stored = 0
        while stored < 10:
            assert time.monotonic() < deadline, "no outputs stored in time"
            assert process.poll() is None, finish(process)
            with _opened(db_url) as probe:
                stored = sum(probe.count_outputs(r.id) for r in probe.runs())
            time.sleep(0.05)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
        process.communicate()

    with _opened(db_url) as probe:
        [killed] = probe.runs()
        answered_first = {o.example_id for o in probe.outputs(killed.id)}
    assert killed.status == "running"  # SIGKILL left no chance to mark it
    assert 10 <= len(answered_first) < 60
    calls_before = server.stats()["calls"]

    code, output = finish(
        fieldeval("run", str(path), "--resume", "--db", db_url, "-q", cwd=tmp_path)
    )

    assert code == 0, output
    assert killed.id in output
    stats = server.stats()
    # The resume asked only for what was missing, once each.
    assert stats["calls"] - calls_before == 60 - len(answered_first)
    for i, text in enumerate(texts):
        seen = stats["prompts"].get(text, 0)
        if f"e{i}" in answered_first:
            assert seen == 1, text
        else:
            assert 1 <= seen <= 2, text  # 2 only when it was in flight at the kill
    with _opened(db_url) as probe:
        [resumed] = probe.runs()
        assert resumed.id == killed.id
        assert resumed.status == "finished"
        outputs = probe.outputs(resumed.id)
        assert sorted(o.example_id for o in outputs) == sorted(f"e{i}" for i in range(60))
        assert all(o.ok and o.text for o in outputs)
        assert probe.integrity_check() == []


class _opened:
    """`Store.open` as a context manager that closes it."""

    def __init__(self, url: str) -> None:
        self.store = Store.open(url)

    def __enter__(self) -> Store:
        return self.store

    def __exit__(self, *exc: Any) -> None:
        self.store.close()


def test_resume_retries_errors_of_the_first_run(
    suite_files: SuiteFiles, store: Store, server: ServerHandle
) -> None:
    texts = ["again ok", "again [[fail:500x1]]", "again also ok"]
    loaded = load_suite(
        suite_files.write(
            texts, candidates=[suite_files.candidate(retry={"attempts": 1, "backoff_s": 0})]
        )
    )
    first = run_suite(loaded, store)
    assert by_key(store.outputs(first.id))[("fake", "e1")].error_kind == "server_error"

    resumed = run_suite(loaded, store, resume=first)

    assert resumed.id == first.id and resumed.status == "finished"
    outputs = by_key(store.outputs(first.id))
    assert len(outputs) == 3
    assert outputs[("fake", "e1")].ok
    assert outputs[("fake", "e1")].text == "echo: again"
    assert calls_for(server, "again [[fail:500x1]]") == 2
    assert calls_for(server, "again ok") == 1
    assert calls_for(server, "again also ok") == 1
    assert store.integrity_check() == []


def test_resume_after_the_suite_changed_is_refused(
    suite_files: SuiteFiles, store: Store, server: ServerHandle, db_url: str, tmp_path: Path
) -> None:
    path = suite_files.write(["changed one", "changed two"])
    first = run_suite(load_suite(path), store)
    path.write_text(path.read_text().replace("say hi", "say hello"), encoding="utf-8")
    calls = server.stats()["calls"]

    with pytest.raises(SuiteError, match="different version"):
        run_suite(load_suite(path), store, resume=first)
    code, output = finish(
        fieldeval("run", str(path), "--resume", "--db", db_url, "-q", cwd=tmp_path)
    )

    assert code == 2, output
    assert "different version" in output
    assert "Traceback" not in output
    assert server.stats()["calls"] == calls


# -- limits ------------------------------------------------------------------------------


def test_requests_per_minute_limit_throttles_once_the_bucket_is_empty(
    suite_files: SuiteFiles, store: Store
) -> None:
    # rpm 120: 120 calls may go at once, then one every 0.5 s.
    texts = [f"rpm {i}" for i in range(123)]
    path = suite_files.write(
        texts, candidates=[suite_files.candidate(concurrency=16, rate_limit={"rpm": 120})]
    )
    finished_at: list[float] = []
    started = time.monotonic()

    def record(event: Event) -> None:
        if isinstance(event, OutputFinished):
            finished_at.append(time.monotonic() - started)

    info = run_suite(load_suite(path), store, on_event=record)

    elapsed = time.monotonic() - started
    assert store.count_outputs(info.id) == 123
    # 123 tokens from a bucket of 120 refilled at 2/s: the last call cannot start before
    # 1.5 s, however fast or slow the burst was. An empty start would take a minute.
    assert len(finished_at) == 123
    assert finished_at[-1] >= 1.4
    assert elapsed < 10


def test_concurrency_caps_calls_in_flight(suite_files: SuiteFiles, store: Store) -> None:
    texts = [f"slow {i} [[delay:0.3]]" for i in range(6)]

    def timed(concurrency: int) -> float:
        path = suite_files.write(texts, candidates=[suite_files.candidate(concurrency=concurrency)])
        started = time.monotonic()
        info = run_suite(load_suite(path), store, use_cache=False)
        assert store.count_outputs(info.id) == 6
        return time.monotonic() - started

    assert timed(2) >= 0.9  # three rounds of 0.3 s
    assert timed(6) < 0.85  # one round
