"""The results pages, over a real run served by `fieldeval serve`, read in Chromium.

What the pages show is checked against `failure_report()` computed here from the same store.
"""

from __future__ import annotations

import csv
import math
import re
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict
from pathlib import Path
from urllib.parse import quote

import pytest
from playwright.sync_api import Page, expect
from tests.web.helpers import PAYLOAD, Graded, Served, call, fieldeval_env, serving

from fieldeval.failures.report import FailureReport, failure_report
from fieldeval.records.grade import FailureLabel, Grade
from fieldeval.records.run import RunInfo
from fieldeval.results.run_data import read_run
from fieldeval.runner import run_suite
from fieldeval.stats.intervals import Rate
from fieldeval.store import Store
from fieldeval.store.grade_store import GradeStore
from fieldeval.suite.loader import LoadedSuite, load_suite

ALPHA, BETA = "cand-alpha", "cand-beta"
HARD = "e/99 <i>&"  # every candidate fails it; an id that needs quoting and escaping
HOSTILE_NOTE = "<b>bold</b> <script>window.__pwned=1</script>"
BOT = f"""\
PAYLOAD = {PAYLOAD!r}

def alpha(request):
    text = request.variables["text"]
    if "CRASH" in text:
        raise RuntimeError("the app fell over <b>here</b>")
    if "PAYLOAD" in text:
        return PAYLOAD
    if "IMPOSSIBLE" in text:
        return "ok"
    if request.variables["topic"] == "billing":
        return "Summary: " + text + " and then a great many more words than anyone asked for"
    return "Summary: " + text

def beta(request):
    text = request.variables["text"]
    if "IMPOSSIBLE" in text:
        return "ok"
    if int(text.split()[-1]) % 5 == 0 and request.variables["topic"] == "cards":
        return "The customer writes: " + text
    return "In short: " + text
"""
SUITE = """\
task:
  name: results
  description: Summarise the customer's message in one short line.
  prompt: "{{ text }}"
dataset: {path: data.csv, id: id, input: text, reference: ref, slices: [topic]}
candidates:
  - {id: cand-alpha, provider: python, function: "results_bot:alpha"}
  - {id: cand-beta, provider: python, function: "results_bot:beta"}
checks:
  - {max_words: 12, id: short}
  - {not_contains: ["customer writes"], ignore_case: true, id: no-echo}
  - {not_contains: ["<script"], id: no-markup}
  - {min_words: 2, id: not-empty}
rubric:
  - id: faithful
    question: Does the output say only what the customer said?
failure_modes:
  - {id: too-long, definition: Runs past the length asked for., severity: minor, check: short}
  - {id: echoes-prompt, definition: Repeats the message., severity: major, check: no-echo}
  - {id: emits-markup, definition: Writes markup or script., severity: critical, check: no-markup}
  - {id: empty, definition: Says next to nothing., severity: major, check: not-empty}
  - {id: unfaithful, definition: Says what was not said., severity: major, criterion: faithful}
  - {id: rude, definition: Talks down to the customer., severity: cosmetic}
"""


def _rows() -> list[tuple[str, str, str, str]]:
    rows = [(f"b{i}", f"Refund for charge {i}", f"refund {i}", "billing") for i in range(1, 13)]
    rows += [(f"c{i}", f"Card question {i}", f"card {i}", "cards") for i in range(13, 25)]
    rows.append(("x25", "PAYLOAD please 26", "", "cards"))
    rows.append((HARD, "IMPOSSIBLE ask 27", "", "billing"))
    rows.append(("z28", "CRASH now 28", "", "cards"))
    return rows


def _write_project(folder: Path, suite: str) -> LoadedSuite:
    """The data, the bot and `suite` in `folder`, loaded."""
    with (folder / "data.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "text", "ref", "topic"])
        writer.writerows(_rows())
    (folder / "results_bot.py").write_text(BOT, encoding="utf-8")
    (folder / "suite.yaml").write_text(suite, encoding="utf-8")
    return load_suite(folder / "suite.yaml")


def _run(loaded: LoadedSuite, store: Store) -> RunInfo:
    # Its own thread: Playwright's sync API keeps an event loop running in this one.
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(run_suite, loaded, store).result()


@pytest.fixture(scope="module")
def results_run(tmp_path_factory: pytest.TempPathFactory) -> Graded:
    """A finished run, a person's and the judge's grades on one output, and one label."""
    folder = tmp_path_factory.mktemp("results")
    loaded = _write_project(folder, SUITE)
    store = Store.open(f"sqlite:///{folder / 'results.db'}")
    try:
        info = _run(loaded, store)
        criterion = loaded.suite.rubric[0]
        version = criterion.version
        grades = GradeStore(store)
        grades.save_criteria([(version, criterion.id, criterion.model_dump(mode="json"))])
        for grader, kind, note in (
            ("ana", "human", HOSTILE_NOTE),
            ("judge-1", "judge", "It adds a claim the customer never made."),
        ):
            grades.save_grade(
                Grade(info.id, BETA, "c13", 0, "faithful", version, grader, kind, 0, note)
            )
        label = FailureLabel(info.id, BETA, "c14", 0, "rude", "ana", note="curt")
        grades.replace_failure_labels(info.id, "ana", [label])
    finally:
        store.close()
    assert info.status == "finished"
    return Graded(folder / "suite.yaml", folder / "results.db", info.id)


@pytest.fixture(scope="module")
def report(results_run: Graded) -> FailureReport:
    store = Store.open(results_run.db_url)
    try:
        return failure_report(
            load_suite(results_run.suite).suite, read_run(store, results_run.run_id)
        )
    finally:
        store.close()


@pytest.fixture(scope="module")
def served(results_run: Graded) -> Iterator[Served]:
    with serving(results_run, command_name="serve") as handle:
        yield handle


def pct(value: float | None) -> str:
    assert value is not None
    return f"{100 * value:.1f}%"


def shown_rate(rate: Rate) -> str:
    return f"{pct(rate.value)} [{pct(rate.low)}, {pct(rate.high)}]"


def output_path(run_id: str, candidate: str, example: str, repeat: int = 0) -> str:
    return f"/runs/{run_id}/outputs/{candidate}/{quote(example, safe='')}/{repeat}"


# -- the failures page ---------------------------------------------------------------------


def test_the_failures_page_shows_the_reports_numbers(
    served: Served, report: FailureReport, page: Page
) -> None:
    run_id = report.run.id
    page.goto(f"{served.base}/runs/{run_id}/failures")
    expect(page.locator("h1")).to_have_text("Failure analysis")
    assert [c.candidate_id for c in report.candidates] == [ALPHA, BETA]
    for found in report.candidates:
        section = page.locator(f'section[data-candidate="{found.candidate_id}"]')
        for mode in found.modes:
            row = section.locator(f'tr[data-mode="{mode.mode_id}"]')
            assert isinstance(mode.rate, Rate)  # one output per example
            expect(row.locator("a.count")).to_have_text(f"{mode.rate.k} of {mode.rate.n}")
            expect(row.locator("td.rate")).to_have_text(pct(mode.rate.value))
            interval = row.locator("td.interval")
            expect(interval).to_contain_text(f"{pct(mode.rate.low)} – {pct(mode.rate.high)}")
            if mode.upper_bound is not None:
                # Rounded up: never shown below the bound itself.
                shown = math.ceil(1000 * mode.upper_bound) / 10
                expect(interval).to_contain_text(f"up to {shown:.1f}% (one-sided 95%")
        for name in ("failed", "graceful", "serious", "catastrophic"):
            rate: Rate = getattr(found, name)
            stat = section.locator(f'[data-stat="{name}"]')
            expect(stat.locator("a.count")).to_have_text(f"{rate.k} of {rate.n}")
            expect(stat).to_contain_text(shown_rate(rate))
        weighted = found.weighted
        assert weighted.value is not None and weighted.low is not None
        assert weighted.high is not None
        expect(section.locator('[data-stat="weighted"]')).to_contain_text(
            f"{weighted.value:.2f} [{weighted.low:.2f}, {weighted.high:.2f}] per output"
        )
        catastrophic = section.locator('[data-stat="catastrophic"]')
        if found.critical_upper_bound is None:
            expect(catastrophic.locator(".bound")).to_have_count(0)
        else:
            expect(catastrophic.locator(".bound")).to_have_text(
                f"no critical failure in {found.n} examples: up to "
                f"{math.ceil(1000 * found.critical_upper_bound) / 10:.1f}%"
                " (one-sided 95% upper bound)"
            )
    # The run was built so both cases show: alpha writes the script, beta never does.
    alpha, beta = report.candidates
    assert alpha.catastrophic.k == 1 and alpha.critical_upper_bound is None
    assert beta.catastrophic.k == 0 and beta.critical_upper_bound is not None

    verdicts = {v.mode_id: v for v in report.systematic.verdicts}
    for mode_id, verdict in verdicts.items():
        row = page.locator(f'#verdicts tr[data-mode="{mode_id}"]')
        expect(row.locator(".label")).to_have_text(verdict.label)
        for reason in verdict.reasons:
            expect(row).to_contain_text(reason)
    assert verdicts["too-long"].label == "systematic"  # alpha runs long on billing only

    significant = [t for t in report.systematic.slices if t.significant]
    assert any(t.mode_id == "too-long" and t.slice_value == "billing" for t in significant)
    expect(page.locator("#slices tbody tr")).to_have_count(len(significant))
    for test in significant:
        expect(page.locator("#slices")).to_contain_text(f"{test.failures_in} of {test.n_in}")
    exploratory = sum(t.exploratory for t in significant)
    expect(page.locator("#slices .label-exploratory")).to_have_count(exploratory)

    assert report.systematic.all_fail == (HARD,)
    look = page.locator("#look-first ol.look-first li")
    expect(look).to_have_count(len(report.look_first))
    for index, item in enumerate(report.look_first):
        link = look.nth(index).locator("a")
        expected = output_path(run_id, item.candidate_id, item.example_id, item.repeat)
        assert link.get_attribute("href") == expected
        expect(look.nth(index)).to_contain_text(item.reason)
    # The awkward id arrives as text and its outputs list opens.
    page.locator("#look-first .all-fail a", has_text=HARD).click()
    expect(page.locator(".total")).to_have_text(str(len(report.candidates)))


def test_a_count_opens_its_outputs_and_an_output_shows_its_checks_and_modes(
    served: Served, report: FailureReport, page: Page
) -> None:
    alpha = report.candidates[0]
    too_long = next(m for m in alpha.modes if m.mode_id == "too-long")
    page.goto(f"{served.base}/runs/{report.run.id}/failures")
    page.locator(f'section[data-candidate="{ALPHA}"] tr[data-mode="too-long"] a.count').click()
    expect(page).to_have_url(re.compile(r"/outputs\?mode=too-long&candidate=cand-alpha$"))
    expect(page.locator(".total")).to_have_text(str(too_long.rate.k))
    rows = page.locator("tr.output-row")
    expect(rows).to_have_count(too_long.rate.k)
    labelled = [o for o in report.outputs if o.candidate_id == ALPHA and "too-long" in o.modes]
    for index, output in enumerate(labelled):
        expect(rows.nth(index).locator("td").first).to_have_text(output.example_id)
        expect(rows.nth(index).locator(".modes-cell")).to_contain_text("too-long")

    rows.first.locator("a.open").click()
    first = labelled[0]
    expect(page).to_have_url(
        re.compile(re.escape(output_path(report.run.id, ALPHA, first.example_id)) + "$")
    )
    expect(page.locator("#input")).to_have_text(f"Refund for charge {first.example_id[1:]}")
    expect(page.locator("#reference")).to_have_text(f"refund {first.example_id[1:]}")
    expect(page.locator("#output")).to_contain_text("a great many more words")
    short = page.locator('#checks tr[data-check="short"]')
    expect(short.locator(".verdict")).to_have_text("fail")
    expect(short).to_contain_text("words")  # the check's reason, e.g. "22 words > 12"
    expect(page.locator('#checks tr[data-check="no-markup"] .verdict')).to_have_text("pass")
    expect(page.locator("#modes li[data-mode]")).to_have_count(len(first.modes))
    expect(page.locator('#modes li[data-mode="too-long"]')).to_contain_text("minor")
    expect(page.locator("#usage")).to_contain_text("Attempts")


def test_grades_notes_and_the_judges_reason_are_shown_as_text(
    served: Served, report: FailureReport, page: Page
) -> None:
    page.goto(served.base + output_path(report.run.id, BETA, "c13"))
    grades = page.locator("#grades")
    expect(grades).to_contain_text("ana")
    expect(grades).to_contain_text(HOSTILE_NOTE)  # the note as typed, never markup
    expect(grades.locator("b")).to_have_count(0)
    expect(grades).to_contain_text("reason: It adds a claim the customer never made.")
    expect(page.locator('#modes li[data-mode="unfaithful"]')).to_be_visible()
    page.goto(served.base + output_path(report.run.id, BETA, "c14"))
    expect(page.locator('#modes li[data-mode="rude"]')).to_be_visible()
    expect(page.locator("#modes")).to_contain_text("curt")
    assert page.evaluate("typeof window.__pwned") == "undefined"


def test_a_hostile_output_stays_inert_text(
    served: Served, report: FailureReport, page: Page
) -> None:
    path = output_path(report.run.id, ALPHA, "x25")
    page.goto(served.base + path)
    expect(page.locator("#output")).to_have_text(PAYLOAD)
    expect(page.locator("#output *")).to_have_count(0)  # no element made from the text
    assert page.locator('a[href^="javascript:"]').count() == 0
    assert page.locator("img").count() == 0
    expect(page.locator('#modes li[data-mode="emits-markup"]')).to_contain_text("critical")
    assert page.evaluate("typeof window.__pwned") == "undefined"

    page.goto(f"{served.base}/runs/{report.run.id}/outputs?mode=emits-markup")
    expect(page.locator("tr.output-row")).to_have_count(1)
    expect(page.locator("a.preview")).to_have_text(PAYLOAD)
    assert page.locator("img").count() == 0
    assert page.evaluate("typeof window.__pwned") == "undefined"


# -- JSON ----------------------------------------------------------------------------------


def test_the_json_endpoints_return_the_same_numbers(served: Served, report: FailureReport) -> None:
    run_id = report.run.id
    status, data = call("GET", f"{served.base}/api/runs/{run_id}/failures")
    assert status == 200, data
    assert data["run"]["id"] == run_id
    assert len(data["candidates"]) == len(report.candidates)
    for shown, found in zip(data["candidates"], report.candidates, strict=True):
        assert shown["candidate_id"] == found.candidate_id
        assert shown["n"] == found.n
        for shown_mode, mode in zip(shown["modes"], found.modes, strict=True):
            assert shown_mode["mode_id"] == mode.mode_id
            assert shown_mode["upper_bound"] == mode.upper_bound
            assert Rate(*(shown_mode[key] for key in _RATE_KEYS)) == mode.rate
        for name in ("failed", "graceful", "serious", "catastrophic"):
            assert Rate(*(shown[name][key] for key in _RATE_KEYS)) == getattr(found, name)
        assert shown["weighted"] == asdict(found.weighted)
        assert shown["critical_upper_bound"] == found.critical_upper_bound
    verdicts = [(v["mode_id"], v["label"], v["reasons"]) for v in data["verdicts"]]
    assert verdicts == [(v.mode_id, v.label, list(v.reasons)) for v in report.systematic.verdicts]
    assert [t["significant"] for t in data["slice_tests"]] == [
        t.significant for t in report.systematic.slices
    ]
    assert [(i["candidate_id"], i["example_id"], i["reason"]) for i in data["look_first"]] == [
        (i.candidate_id, i.example_id, i.reason) for i in report.look_first
    ]

    # Each count's link, under /api, lists exactly the outputs counted.
    too_long = next(m for m in data["candidates"][0]["modes"] if m["mode_id"] == "too-long")
    status, listed = call("GET", f"{served.base}/api{too_long['url']}")
    assert status == 200, listed
    assert listed["total"] == too_long["k"] == len(listed["outputs"])
    catastrophic = data["candidates"][0]["catastrophic"]
    status, listed = call("GET", f"{served.base}/api{catastrophic['url']}")
    assert status == 200, listed
    assert [row["example_id"] for row in listed["outputs"]] == ["x25"]

    status, first = call("GET", f"{served.base}/api/runs/{run_id}/outputs")
    assert status == 200, first
    assert (first["total"], first["pages"], len(first["outputs"])) == (len(report.outputs), 2, 50)
    status, second = call("GET", f"{served.base}/api{first['next_url']}")
    assert status == 200, second
    assert len(second["outputs"]) == len(report.outputs) - 50 and second["next_url"] is None

    status, one = call("GET", f"{served.base}/api{output_path(run_id, ALPHA, 'x25')}")
    assert status == 200, one
    assert one["output"] == PAYLOAD
    assert [m["id"] for m in one["failure_modes"]] == ["emits-markup"]
    assert {c["check_id"]: c["passed"] for c in one["checks"]}["no-markup"] is False

    status, hard = call("GET", f"{served.base}/api{output_path(run_id, BETA, HARD)}")
    assert (status, hard["example_id"]) == (200, HARD)


_RATE_KEYS = ("k", "n", "low", "high")


def test_unknown_runs_outputs_and_filters_are_refused(
    served: Served, report: FailureReport
) -> None:
    base = f"{served.base}/api/runs"
    assert call("GET", f"{base}/no-such-run/failures")[0] == 404
    assert call("GET", f"{base}/{report.run.id}/outputs/{ALPHA}/nope/0")[0] == 404
    status, answer = call("GET", f"{base}/{report.run.id}/outputs?mode=nope")
    assert (status, answer["error"]) == (422, "the suite has no failure mode 'nope'")
    status, text = call("GET", f"{served.base}/runs/no-such-run/failures")
    assert status == 404 and "matches no run" in text


def test_the_grading_app_serves_no_results(graded: Graded) -> None:
    """`fieldeval grade` is blind: it neither links to nor serves the pages naming candidates."""
    with serving(graded) as grading:
        status, html = call("GET", f"{grading.base}/grade")
        assert status == 200 and "/runs/" not in html
        status, answer = call("GET", f"{grading.base}/api/runs/{graded.run_id}/failures")
        assert (status, answer["error"]) == (422, "this app was started without results to show")


def test_serve_off_loopback_without_a_token_exits_2(results_run: Graded) -> None:
    command = [sys.executable, "-m", "fieldeval", "serve", str(results_run.suite)]
    command += ["--db", results_run.db_url, "--no-open", "--port", "0", "--host", "0.0.0.0"]
    result = subprocess.run(
        command, capture_output=True, text=True, timeout=60, env=fieldeval_env(), check=False
    )
    assert result.returncode == 2
    message = " ".join(result.stderr.split())
    assert "--host 0.0.0.0 makes the results app reachable from other machines" in message


def test_an_errored_output_has_a_page_but_is_not_analysed(
    served: Served, report: FailureReport, page: Page
) -> None:
    assert all(o.example_id != "z28" or o.candidate_id != ALPHA for o in report.outputs)
    assert report.candidates[0].n == len(_rows()) - 1
    page.goto(served.base + output_path(report.run.id, ALPHA, "z28"))
    expect(page.locator(".error-box")).to_contain_text("app_error")
    expect(page.locator(".error-box")).to_contain_text("the app fell over <b>here</b>")
    expect(page.locator("#modes")).to_contain_text("Not analysed")
    status, listed = call("GET", f"{served.base}/api/runs/{report.run.id}/outputs?example=z28")
    assert status == 200, listed
    assert [row["candidate_id"] for row in listed["outputs"]] == [BETA]


def test_the_home_page_lists_the_runs(served: Served, report: FailureReport) -> None:
    assert served.url == served.base + "/"
    status, html = call("GET", served.base + "/")
    assert status == 200 and "Runs of results" in html and f"/runs/{report.run.id}" in html


# -- no silent zeros -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def unnamed_run(tmp_path_factory: pytest.TempPathFactory) -> Graded:
    """The same candidates and checks, but a suite that names no failure mode."""
    folder = tmp_path_factory.mktemp("unnamed")
    loaded = _write_project(folder, SUITE[: SUITE.index("rubric:")])
    store = Store.open(f"sqlite:///{folder / 'results.db'}")
    try:
        info = _run(loaded, store)
    finally:
        store.close()
    return Graded(folder / "suite.yaml", folder / "results.db", info.id)


def test_failures_no_mode_names_are_counted_and_the_severities_add_up(
    unnamed_run: Graded, page: Page
) -> None:
    """The audit's page said "Failed (any mode) 0 of 50" for a candidate that failed them all."""
    store = Store.open(unnamed_run.db_url)
    try:
        data = read_run(store, unnamed_run.run_id)
    finally:
        store.close()
    failed_checks = {
        cid: sum(1 for o in data.outputs if o.candidate_id == cid and o.ok and not o.passed)
        for cid in (ALPHA, BETA)
    }
    assert all(failed_checks.values())  # both fail some checks, and no mode names them
    with serving(unnamed_run, command_name="serve") as served:
        page.goto(f"{served.base}/runs/{unnamed_run.run_id}/failures")
        for cid, failed in failed_checks.items():
            section = page.locator(f'section[data-candidate="{cid}"]')
            expect(section.locator('tr[data-mode="unclassified"] a.count')).to_have_text(
                re.compile(rf"^{failed} of \d+$")
            )
            expect(section.locator('[data-stat="failed"] a.count')).to_have_text(
                re.compile(rf"^{failed} of ")
            )
            # Every unclassified failure is major by default: the severities add up.
            expect(section.locator('[data-stat="serious"] a.count')).to_have_text(
                re.compile(rf"^{failed} of ")
            )
            for name in ("graceful", "catastrophic"):
                expect(section.locator(f'[data-stat="{name}"] a.count')).to_have_text(
                    re.compile(r"^0 of ")
                )
