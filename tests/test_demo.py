"""The README's demo, end to end, on the real bundled Gemma model through llama.cpp."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from fieldeval.store import Store
from fieldeval.store.tables import outputs
from fieldeval.suite.loader import load_suite

pytestmark = pytest.mark.local_model

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "complaints"
CANDIDATES = ("gemma-zero-shot", "gemma-one-shot")
SAMPLE = 4
# candidate │ n │ pass rate [interval] │ errors │ p50 e2e │ p95 e2e │ p50 TTFT │ tokens
# No errors; a busy machine may make a call time out and be retried ("0 · 2 retried").
DURATION = r"[\d.]+ m?s"
ROW = (
    r"│ {candidate}\s+│ {n} │\s+\d+% \d+/{n} \[\d+–\d+%\]\s+│\s+0(?: · \d+ retried)? │"
    rf"\s+{DURATION} │\s+{DURATION} │\s+{DURATION} │\s+\d+/\d+ │"
)


def run_demo(folder: Path, db: Path) -> tuple[subprocess.CompletedProcess[str], float]:
    env = {k: v for k, v in os.environ.items() if k != "FIELDEVAL_DB"}
    env["COLUMNS"] = "200"  # rich wraps at 80 columns when not on a terminal
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "fieldeval", "run", "suite.yaml", "--sample", str(SAMPLE),
         "--db", str(db)],
        cwd=folder, env=env, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    return result, time.monotonic() - started


def stored_run_id(stdout: str, db: Path) -> str:
    stored = re.search(r"results stored in (\S+) as run (\S+)", stdout)
    assert stored is not None, stdout
    assert stored.group(1) == f"sqlite:///{db}"
    return stored.group(2)


@pytest.mark.timeout(1300)  # waits for the runs to end; a busy machine is slow
def test_the_demo_runs_on_the_local_model_and_then_from_cache(tmp_path: Path) -> None:
    folder = tmp_path / "complaints"
    shutil.copytree(EXAMPLE, folder)
    db = tmp_path / "f.db"
    check_ids = {check.id for check in load_suite(folder / "suite.yaml").suite.checks}
    assert len(check_ids) == 5

    result, first_s = run_demo(folder, db)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Traceback" not in result.stderr
    for candidate in CANDIDATES:
        assert re.search(ROW.format(candidate=candidate, n=SAMPLE), result.stdout), result.stdout
    assert re.search(r"p50 TTFT", result.stdout)
    # The audit: per-candidate latency on one shared local server is mostly queueing.
    shared = " ".join(result.stdout.split())
    assert "latency: gemma-zero-shot and gemma-one-shot were answered by one local server" in shared
    assert "--candidate ID` measures one candidate alone" in shared
    run_id = stored_run_id(result.stdout, db)

    store = Store.open(f"sqlite:///{db}")
    try:
        assert store.run(run_id).status == "finished"
        stored = store.outputs(run_id)
        assert len(stored) == SAMPLE * len(CANDIDATES)
        assert {o.candidate_id for o in stored} == set(CANDIDATES)
        for output in stored:
            assert output.error_kind is None, output.error_message
            assert output.text and output.text.strip()
            assert not output.usage_estimated  # llama.cpp reports its own token counts
            assert output.input_tokens and output.input_tokens > 0
            assert output.output_tokens and output.output_tokens > 0
            assert output.ttft_ms is not None and output.ttft_ms > 0
            assert output.latency_ms is not None and output.latency_ms >= output.ttft_ms
            assert not output.from_cache
            assert {check.check_id for check in output.checks} == check_ids
            assert all(check.reason for check in output.checks)
        with store.engine.connect() as connection:
            chunk_times = (
                connection.execute(
                    select(outputs.c.chunk_times_ms).where(outputs.c.run_id == run_id)
                )
                .scalars()
                .all()
            )
        for times in chunk_times:
            assert times, "a streamed answer records when each chunk arrived"
            assert times == sorted(times)
    finally:
        store.close()

    again, again_s = run_demo(folder, db)
    assert again.returncode == 0, again.stderr[-3000:]
    rerun_id = stored_run_id(again.stdout, db)
    assert rerun_id != run_id
    store = Store.open(f"sqlite:///{db}")
    try:
        cached = store.outputs(rerun_id)
        assert len(cached) == len(stored)
        assert all(output.from_cache for output in cached)
        assert {(o.candidate_id, o.example_id): o.text for o in cached} == {
            (o.candidate_id, o.example_id): o.text for o in stored
        }
    finally:
        store.close()
    # No model calls: far quicker than generating (which takes tens of seconds here).
    assert again_s < max(30.0, first_s / 2), (first_s, again_s)

    # The README's first command ends with the decision report on the run just made.
    report = subprocess.run(
        [sys.executable, "-m", "fieldeval", "report", "suite.yaml", "--db", str(db),
         "--markdown", "decision.md"],
        cwd=folder, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert report.returncode == 0, report.stderr[-3000:]
    assert f"wrote the decision report of run {rerun_id}" in report.stdout
    # The suite's ready bars decide whether any candidate is recommended; either way the
    # headline names one (the recommended or the closest).
    assert re.search(
        r"^(Recommend|No candidate is ready to ship\. Closest:) gemma-(zero|one)-shot",
        report.stdout,
        re.MULTILINE,
    )
    html = (folder / "fieldeval-report.html").read_text(encoding="utf-8")
    assert "Decision report: complaint-summary" in html
    markdown = (folder / "decision.md").read_text(encoding="utf-8")
    assert "A month at 300,000 requests" in markdown  # the suite's price and volume
