"""`fieldeval load` and `load-show`, run as a user runs them, against the fake server."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from tests.cli.test_cli import assert_user_error, fieldeval
from tests.doubles.fixtures import ServerHandle, start_server

from fieldeval.load.distributed import RAY_HINT
from fieldeval.load.session import stored_result
from fieldeval.report.load_html import load_html
from fieldeval.store import Store

STORED = re.compile(r"stored in (\S+) as load run (\S+);")


@pytest.fixture(scope="module")
def server() -> Iterator[ServerHandle]:
    with start_server("--config", '{"delay_s": 0.02, "chunk_delay_s": 0.005}') as handle:
        yield handle


def write_suite(folder: Path, server_url: str, **load: Any) -> Path:
    (folder / "data.csv").write_text(
        "id,text\n" + "".join(f"e{i},question number {i}\n" for i in range(4)), encoding="utf-8"
    )
    suite = {
        "task": {"name": "cli-load", "description": "answer", "prompt": "{{ text }}"},
        "dataset": {"path": "data.csv", "id": "id", "input": "text"},
        "candidates": [
            {
                "id": "fake",
                "provider": "openai",
                "model": "m",
                "base_url": server_url,
                "api_key_env": None,
                "params": {"max_tokens": 8},
            }
        ],
        "load": {"warmup_s": 0.3, "duration_s": 1, "cooldown_s": 0.2, **load},
    }
    path = folder / "suite.yaml"
    path.write_text(json.dumps(suite), encoding="utf-8")
    return path


def test_load_prints_the_tables_and_the_verdict_and_load_show_repeats_them(
    tmp_path: Path, server: ServerHandle
) -> None:
    # Loose enough for a dozen requests to show them met (a p95 would need 72).
    write_suite(tmp_path, server.url, targets={"ttft_p50_ms": 1000, "max_error_rate": 0.25})

    result = fieldeval(tmp_path, "load", "suite.yaml", "--users", "1,2", "--db", "f.db")

    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert re.search(r"level 1/2: 1 user for 1.5 s", out)
    assert re.search(r"^2 users: \d+ requests, 0 errors, TTFT p95 \d+ ms", out, re.MULTILINE)
    assert "fake under load: latency in ms over each steady window" in out
    assert "throughput per second over each steady window" in out
    assert re.search(
        r"highest load shown to meet the targets: 2 users \(TTFT p50 \d+ ms ≤ 1 s \(at most "
        r"\d+ ms, 95% CI\), error rate 0% ≤ 25% \(at most \d+%, 95% CI\)\); no level missed "
        r"them, so the limit lies above 2 users",
        out,
    )
    stored = STORED.search(out)
    assert stored is not None and stored.group(1) == f"sqlite:///{Path('f.db')}"

    shown = fieldeval(tmp_path, "load-show", stored.group(2)[:15], "--db", "f.db")

    assert shown.returncode == 0, shown.stderr
    # The same tables and verdict, recomputed from the stored requests.
    report = out[out.index("fake under load") : out.index("stored in")]
    assert shown.stdout == report


def test_a_level_too_short_to_show_its_targets_says_what_it_could_not_tell(
    tmp_path: Path, server: ServerHandle
) -> None:
    # The audit's case: "error rate 0% ≤ 1%" on a handful of requests, which allow far more.
    write_suite(tmp_path, server.url, users=[1], targets={"ttft_p95_ms": 1000})

    result = fieldeval(tmp_path, "load", "suite.yaml", "--db", "f.db")

    assert result.returncode == 0, result.stderr
    assert re.search(r"^1 user: \d+ requests, .*\? too few requests to tell", result.stdout, re.M)
    assert re.search(
        r"no level was shown to meet the targets: at 1 user too few requests to tell \(TTFT p95 "
        r"\d+ ms on \d+, too few to bound it under 1 s, error rate 0% could be \d+% \(95% CI, "
        r"n=\d+\) > 1%\); no level was shown to miss them",
        result.stdout,
    )
    assert "error rate 0% ≤ 1%" not in result.stdout


def test_a_broken_target_is_named_and_the_sweep_stops_there(
    tmp_path: Path, server: ServerHandle
) -> None:
    write_suite(tmp_path, server.url, users=[1, 2, 4], targets={"ttft_p95_ms": 5})

    result = fieldeval(tmp_path, "load", "suite.yaml", "--db", "f.db")

    assert result.returncode == 0, result.stderr
    assert re.search(
        r"no level met the targets; they break at 1 user \(TTFT p95 \d+ ms > 5 ms \(at least "
        r"\d+ ms, 95% CI\)\)",
        result.stdout,
    )
    assert "stopped at the first level shown to miss a target (1 of 3 levels run)" in result.stdout
    assert "level 2/3" not in result.stdout


def test_html_writes_one_page_that_opens_offline(tmp_path: Path, server: ServerHandle) -> None:
    write_suite(tmp_path, server.url, users=[1, 2], targets={"ttft_p95_ms": 5})

    result = fieldeval(
        tmp_path, "load", "suite.yaml", "--all-levels", "--db", "f.db", "--html", "out/load.html"
    )

    assert result.returncode == 0, result.stderr
    assert "charts written to out/load.html" in result.stdout
    page = (tmp_path / "out" / "load.html").read_text(encoding="utf-8")
    assert "plotly.js v" in page  # the library itself, inline
    assert not re.search(r"<script[^>]*\bsrc=", page)
    assert not re.search(r"<link[^>]*\bhref=\"?https?://", page)
    for title in ("TTFT (ms) by load", "Requests per second by load", "of each request"):
        assert title in page
    assert "targets break" in page  # the knee, marked on the charts
    assert "no level met the targets" in page


def test_text_from_the_suite_is_escaped_in_the_page(tmp_path: Path, server: ServerHandle) -> None:
    write_suite(tmp_path, server.url, users=[1])
    ran = fieldeval(tmp_path, "load", "suite.yaml", "--db", "f.db")
    stored = STORED.search(ran.stdout)
    assert stored is not None, ran.stderr
    store = Store.open(f"sqlite:///{tmp_path / 'f.db'}")
    try:
        result = stored_result(store, stored.group(2))
    finally:
        store.close()
    hostile = "</script><script>alert(1)</script>"
    result = replace(result, info=replace(result.info, suite_name=hostile, candidate_id=hostile))

    page = load_html(result)

    assert hostile not in page
    assert "&lt;/script&gt;&lt;script&gt;alert(1)" in page


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--users", "1,x"), "--users takes numbers separated by commas"),
        (("--users", "1", "--rates", "2"), "give --users or --rates, not both"),
        (("--duration", "0"), "invalid load option"),
        (("--ramp", "1"), "ramp_s (1 s) must be at most warmup_s (0.3 s)"),
        (("--ray-address", "auto"), "--ray-address needs --workers 2 or more"),
        (("--candidate", "nope"), "no candidate 'nope'"),
    ],
)
def test_bad_options_are_user_errors(
    tmp_path: Path, server: ServerHandle, args: tuple[str, ...], message: str
) -> None:
    write_suite(tmp_path, server.url, users=[1])

    result = fieldeval(tmp_path, "load", "suite.yaml", "--db", "f.db", *args)

    assert_user_error(result)
    assert message in result.stderr


def test_load_show_of_an_unknown_run_is_a_user_error(tmp_path: Path) -> None:
    result = fieldeval(tmp_path, "load-show", "nope", "--db", "f.db")

    assert_user_error(result)
    assert "load run 'nope' matches no load run" in result.stderr


@pytest.mark.timeout(90)
def test_workers_split_each_level_over_ray_actors(tmp_path: Path, server: ServerHandle) -> None:
    pytest.importorskip("ray")
    write_suite(tmp_path, server.url, users=[2], targets={"ttft_p95_ms": 1000})

    # A local two-CPU Ray cluster, started by the command for its one sweep.
    result = fieldeval(tmp_path, "load", "suite.yaml", "--workers", "2", "--db", "f.db", timeout=80)

    assert result.returncode == 0, result.stderr
    assert "fake under load: latency in ms over each steady window" in result.stdout
    assert re.search(r"^2 users: \d+ requests, 0 errors", result.stdout, re.MULTILINE)
    stored = STORED.search(result.stdout)
    assert stored is not None
    store = Store.open(f"sqlite:///{tmp_path / 'f.db'}")
    try:
        (run,) = stored_result(store, stored.group(2)).runs
    finally:
        store.close()
    assert {record.worker for record in run.records} == {"ray-0", "ray-1"}
    assert all(record.ok for record in run.records)


def test_workers_without_ray_installed_name_the_extra(tmp_path: Path, server: ServerHandle) -> None:
    write_suite(tmp_path, server.url, users=[2])
    # `import ray` raises ImportError when its sys.modules entry is None.
    probe = (
        "import sys; sys.modules['ray'] = None\n"
        "sys.argv = ['fieldeval', 'load', 'suite.yaml', '--workers', '2', '--db', 'f.db']\n"
        "from fieldeval.cli.main import main; main()\n"
    )

    result = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert_user_error(result)
    assert "distributed load testing needs Ray, which is not installed" in result.stderr
    assert f"hint: {RAY_HINT}" in result.stderr
