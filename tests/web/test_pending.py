"""Analyses computed in the background: a page never waits for one, it says how far it is.

The app is served in this process (`serving_results`) with `inline_below=0`: every analysis,
however small the run, then goes to the background worker, so the first request for it is
answered before the worker can have finished, and the page must say it is being computed.
"""

from __future__ import annotations

import json
import re
import shutil
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from playwright.sync_api import Page, expect
from tests.web.browse_suite import ALPHA, BETA, BrowseRuns
from tests.web.browse_truth import Truth
from tests.web.helpers import serving_results

from fieldeval.records.grade import Grade
from fieldeval.store import Store
from fieldeval.store.grade_store import GradeStore
from fieldeval.suite.loader import load_suite
from fieldeval.web.background import Background, Pending
from fieldeval.web.cache import AnalysisCache
from fieldeval.web.context import Computing, ResultsContext

NOTE = r"this 114-output run is (being computed|waiting|about to be computed).*reloads when"
READY_TIMEOUT_S = 30.0


@contextmanager
def results(runs: BrowseRuns, db_url: str | None = None, **options: Any) -> Iterator[str]:
    """The results app over `runs`, every analysis sent to the background, with `options`."""
    store = Store.open(db_url or runs.db_url)
    context = ResultsContext(store, load_suite(runs.suite).suite, inline_below=0, **options)
    try:
        with serving_results(context) as base:
            yield base
    finally:
        store.close()


def fetch(url: str) -> tuple[int, dict[str, str], Any]:
    """(status, headers, decoded JSON) of one real GET."""
    with urllib.request.urlopen(url, timeout=READY_TIMEOUT_S) as response:
        headers = {name.lower(): value for name, value in response.headers.items()}
        return response.status, headers, json.loads(response.read())


def until_ready(url: str) -> Any:
    """Ask again, as the Retry-After header says, until the answer is 200."""
    deadline = time.monotonic() + READY_TIMEOUT_S
    while True:
        status, headers, data = fetch(url)
        if status == 200:
            return data
        assert time.monotonic() < deadline, f"{url} still computing: {data}"
        time.sleep(min(0.2, float(headers["retry-after"])))


def test_a_run_page_is_served_at_once_and_shows_the_numbers_once_analysed(
    browse_runs: BrowseRuns, browse_truth: Truth, page: Page
) -> None:
    run = browse_truth.run
    with results(browse_runs) as base:
        page.goto(f"{base}/runs/{run.id}")
        # Served before the analysis: what the database counts, and a note for each section.
        expect(page.locator("#failures .pending-note")).to_contain_text("The failure analysis")
        for section in ("quality", "rubric", "failures", "cost", "timing"):
            expect(page.locator(f"#{section} .pending-note")).to_have_text(re.compile(NOTE))
        refresh = page.locator('meta[http-equiv="refresh"]')
        expect(refresh).to_have_attribute("content", "2")
        for summary in browse_truth.summary.candidates:
            row = page.locator(f'#totals tr[data-candidate="{summary.candidate_id}"]')
            rate = summary.pass_rate
            expect(row.locator(".count")).to_have_text(f"{rate.k} of {rate.n}")

        # The page reloads itself (no script) until the analysis is there.
        weighted = page.locator(f'#failures tr[data-candidate="{ALPHA}"] .weighted .rate')
        expect(weighted).to_be_visible(timeout=READY_TIMEOUT_S * 1000)
        alpha = next(c for c in browse_truth.report.candidates if c.candidate_id == ALPHA)
        expect(weighted).to_have_text(f"{alpha.weighted.value:.2f}")
        quality = page.locator(f'#quality tr[data-candidate="{BETA}"] .count')
        beta = next(s for s in browse_truth.summary.candidates if s.candidate_id == BETA)
        expect(quality).to_have_text(f"{beta.pass_rate.k} of {beta.pass_rate.n}")
        expect(page.locator(".pending-note")).to_have_count(0)
        expect(refresh).to_have_count(0)


def test_a_json_twin_answers_202_while_computing_and_waits_when_asked(
    browse_runs: BrowseRuns, browse_truth: Truth
) -> None:
    run, first = browse_truth.run, browse_truth.first
    with results(browse_runs) as base:
        status, headers, data = fetch(f"{base}/api/runs/{run.id}/failures")
        assert (status, headers["retry-after"]) == (202, "2")
        assert data["status"] == "computing" and data["retry_after_s"] == 2
        assert data["state"] in ("queued", "running") and data["outputs"] == 114
        assert data["wait_url"] == f"/api/runs/{run.id}/failures?wait=1"
        assert data["pending"][0]["note"].startswith("The failure analysis of this 114-output run")

        ready = fetch(base + data["wait_url"])  # blocks until the analysis is there
        assert ready[0] == 200 and "status" not in ready[2]
        expected = {
            c.candidate_id: (c.failed.k, c.failed.n) for c in browse_truth.report.candidates
        }
        got = {
            c["candidate_id"]: (c["failed"]["k"], c["failed"]["n"]) for c in ready[2]["candidates"]
        }
        assert got == expected

        # The run page's twin: the database's pass counts meanwhile, then the analysis.
        status, _, pending = fetch(f"{base}/api/runs/{first.id}")
        assert status == 202 and [p["section"] for p in pending["pending"]] == [
            "quality",
            "rubric",
            "failures",
            "cost",
            "timing",
        ]
        totals = {t["candidate_id"]: (t["pass"]["k"], t["pass"]["n"]) for t in pending["totals"]}
        truth = {
            s.candidate_id: (s.pass_rate.k, s.pass_rate.n)
            for s in browse_truth.first_summary.candidates
        }
        assert totals == truth
        analysed = until_ready(f"{base}/api/runs/{first.id}")
        assert {
            q["candidate_id"]: (q["pass"]["k"], q["pass"]["n"]) for q in analysed["quality"]
        } == truth

        compare = f"{base}/api/compare?before={first.id}&after={run.id}"
        status, headers, pending = fetch(compare)
        assert (status, headers["retry-after"], pending["status"]) == (202, "2", "computing")
        found = until_ready(compare)
        flips = sum(len(c.flips) for c in browse_truth.comparison.candidates)
        assert found["flips"]["total"] == flips


def test_a_running_run_shows_its_last_analysis_while_the_next_is_computed(
    browse_runs: BrowseRuns, tmp_path: Path, page: Page
) -> None:
    db = tmp_path / "running.db"
    shutil.copyfile(browse_runs.db, db)
    store = Store.open(f"sqlite:///{db}")
    try:
        store.set_status(browse_runs.second, "running")
        with results(browse_runs, f"sqlite:///{db}") as base:
            url = f"{base}/runs/{browse_runs.second}"
            assert fetch(f"{base}/api/runs/{browse_runs.second}?wait=1")[0] == 200
            criterion = load_suite(browse_runs.suite).suite.rubric[0]
            grade = Grade(
                browse_runs.second,
                BETA,
                "c25",
                0,
                "faithful",
                criterion.version,
                "bob",
                "human",
                1,
                None,
            )
            GradeStore(store).save_grade(grade)
            # What it reads changed: the earlier analysis is shown, saying it is behind.
            page.goto(url)
            expect(page.locator(".updating-note")).to_contain_text("still running")
            expect(page.locator('meta[http-equiv="refresh"]')).to_have_attribute("content", "2")
            expect(
                page.locator(f'#failures tr[data-candidate="{ALPHA}"] .weighted')
            ).to_be_visible()
            rubric = page.locator(f'#rubric tr[data-candidate="{BETA}"][data-source="people"]')
            expect(rubric).to_have_count(1, timeout=READY_TIMEOUT_S * 1000)  # then the new one
            expect(page.locator(".updating-note")).to_have_count(0)
    finally:
        store.close()


def test_start_up_queues_the_newest_runs_newest_first(browse_runs: BrowseRuns) -> None:
    lines: list[str] = []
    store = Store.open(browse_runs.db_url)
    try:
        suite = load_suite(browse_runs.suite).suite
        context = ResultsContext(store, suite, inline_below=0, log=lines.append)
        assert context.warm() == [browse_runs.second, browse_runs.first]
        deadline = time.monotonic() + READY_TIMEOUT_S
        while len(lines) < 3 and time.monotonic() < deadline:
            time.sleep(0.05)
        # The newest run, its comparison with the one before, then the older run.
        assert [line.split(" in ")[0] for line in lines] == [
            f"analysed run {browse_runs.second} (114 outputs)",
            f"compared run {browse_runs.first} with {browse_runs.second}",
            f"analysed run {browse_runs.first} (114 outputs)",
        ]
        run = context.run(browse_runs.first)
        assert not isinstance(context.analysis(run), Computing)  # ready: no pending note
    finally:
        store.close()


def test_the_worker_does_what_readers_asked_first_and_each_analysis_once() -> None:
    background = Background(AnalysisCache())
    started, gate = threading.Event(), threading.Event()
    done: list[str] = []

    def analysis(name: str) -> Callable[[], str]:
        def compute() -> str:
            started.set()
            gate.wait()  # held until every request below is made
            done.append(name)
            return name

        return compute

    first = background.ask("newest", 1, analysis("newest"), urgent=False)
    assert isinstance(first, Pending) and (first.running_s, first.ahead) == (None, 0)
    assert started.wait(READY_TIMEOUT_S)  # the worker is computing it
    background.ask("older", 1, analysis("older"), urgent=False)
    background.ask("oldest", 1, analysis("oldest"), urgent=False)
    asked = background.ask("oldest", 2, analysis("oldest v2"))  # a reader; grades changed
    assert isinstance(asked, Pending) and asked.running_s is None
    assert asked.ahead == 1  # only the analysis being computed goes before it
    running = background.ask("newest", 1, analysis("newest"))
    assert isinstance(running, Pending) and running.running_s is not None and running.ahead == 0
    for _ in range(3):
        assert isinstance(background.ask("older", 1, analysis("older")), Pending)
    gate.set()
    deadline = time.monotonic() + READY_TIMEOUT_S
    while len(done) < 3 and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.1)  # room for a duplicate computation, were there one
    assert done == ["newest", "oldest v2", "older"]
    assert background.ask("oldest", 2, analysis("again")) == "oldest v2"
    assert background.ask("older", 1, analysis("again")) == "older"
