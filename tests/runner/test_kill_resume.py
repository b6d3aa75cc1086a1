"""A run killed with SIGKILL at three random points, resumed each time, ends as if never killed."""

from __future__ import annotations

import random
import time
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from tests.doubles.fixtures import ServerHandle
from tests.runner.test_run import _opened, fieldeval, finish

from fieldeval.runner import run_suite
from fieldeval.store import Store
from fieldeval.suite.loader import load_suite

if TYPE_CHECKING:
    from tests.projects.suite_files import SuiteFiles

N = 60


def _stored(db_url: str) -> dict[str, str | None]:
    with _opened(db_url) as store:
        [run] = store.runs()
        return {o.example_id: o.text for o in store.outputs(run.id)}


def _kill_after(args: list[str], db_url: str, cwd: Path, threshold: int) -> None:
    """Start `fieldeval run ARGS` and SIGKILL it once `threshold` outputs are stored."""
    process = fieldeval("run", *args, "--db", db_url, "-q", cwd=cwd)
    try:
        deadline = time.monotonic() + 30
        while True:
            assert time.monotonic() < deadline, "the run stored too little in time"
            assert process.poll() is None, finish(process)
            with _opened(db_url) as probe:
                if sum(probe.count_outputs(r.id) for r in probe.runs()) >= threshold:
                    break
            time.sleep(0.02)
        process.kill()  # SIGKILL: no handler runs, nothing is flushed on the way out
        process.wait(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
        process.communicate()


@pytest.mark.timeout(180)
@pytest.mark.parametrize("seed", [11])
def test_three_kills_and_resumes_give_the_uninterrupted_results(
    suite_files: SuiteFiles, server: ServerHandle, tmp_path: Path, seed: int
) -> None:
    texts = [f"killed thrice row {i} [[delay:0.04]]" for i in range(N)]
    path = suite_files.write(texts, candidates=[suite_files.candidate(concurrency=3)])
    db_url = f"sqlite:///{tmp_path / 'killed.db'}"
    Store.open(db_url).close()  # migrated before a process is killed mid-migration
    points = sorted(random.Random(seed).sample(range(5, N - 5), 3))

    answered: dict[str, str | None] = {}
    calls_when_answered: dict[str, int] = {}  # prompt -> server calls when first seen stored

    def no_second_call() -> None:
        prompts = server.stats()["prompts"]
        for text, calls in calls_when_answered.items():
            assert prompts.get(text, 0) == calls, f"asked again after it was answered: {text}"

    for number, point in enumerate(points):
        args = [str(path)] if number == 0 else [str(path), "--resume"]
        _kill_after(args, db_url, tmp_path, point)
        no_second_call()
        now = _stored(db_url)
        # What was answered before this kill is still there, unchanged.
        assert {k: now[k] for k in answered} == answered
        answered = now
        assert point <= len(answered) < N, (point, len(answered))
        prompts = server.stats()["prompts"]
        for i, text in enumerate(texts):
            if f"e{i}" in answered and text not in calls_when_answered:
                calls_when_answered[text] = prompts.get(text, 0)

    code, output = finish(
        fieldeval("run", str(path), "--resume", "--db", db_url, "-q", cwd=tmp_path)
    )
    assert code == 0, output
    no_second_call()

    with _opened(db_url) as store:
        [resumed] = store.runs()
        assert resumed.status == "finished"
        killed = {o.example_id: (o.text, o.passed) for o in store.outputs(resumed.id)}
        assert store.integrity_check() == []

    # The same suite, never interrupted, in a store of its own.
    clean = Store.open(f"sqlite:///{tmp_path / 'clean.db'}")
    try:
        info = run_suite(load_suite(path), clean, use_cache=False)
        uninterrupted = {o.example_id: (o.text, o.passed) for o in clean.outputs(info.id)}
    finally:
        clean.close()
    assert len(killed) == N
    assert killed == uninterrupted
