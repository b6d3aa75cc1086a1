"""The decision report in a real browser (Debian's Chromium), with the network off.

The page must draw every chart from what is inside the file, show the numbers the library
computes from the store, and leave the hostile outputs inert: shown as text, never run.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, Request, Route, sync_playwright
from tests.projects.decision import PAYLOAD, DecisionRun, make_run

from fieldeval.cost.spend import RunCost, run_cost
from fieldeval.decision.evidence import decision
from fieldeval.notation import dollars
from fieldeval.report.decision_html import write_decision_html
from fieldeval.results.run_data import read_run
from fieldeval.results.summary import RunSummary, summarize


@dataclass(frozen=True)
class Report:
    path: Path
    summary: RunSummary  # computed here from the store, not taken from the report's Decision
    cost: RunCost


@dataclass
class Traffic:
    blocked: list[str] = field(default_factory=list)  # every request that left the file
    failed: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Report:
    folder = tmp_path_factory.mktemp("decision-browser")
    # In a thread of its own: asyncio.run must not share one with Playwright's event loop.
    with ThreadPoolExecutor(1) as pool:
        made: DecisionRun = pool.submit(make_run, folder).result()
    store = made.open()
    try:
        found = decision(store, made.loaded.suite, made.run_id)
        run = store.run(made.run_id)
        summary = summarize(run, store.outputs(run.id))
        cost = run_cost(made.loaded.suite, read_run(store, run.id))
    finally:
        store.close()
    path = folder / "report.html"
    write_decision_html(found, path)
    return Report(path, summary, cost)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    chromium = shutil.which("chromium")
    if chromium is None:
        pytest.fail(
            "the browser tests need Debian's Chromium: sudo apt-get install chromium",
            pytrace=False,
        )
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=chromium, args=["--no-sandbox", "--headless=new"]
        )
        yield launched
        launched.close()


@pytest.fixture
def opened(browser: Browser, report: Report) -> Iterator[tuple[Page, Traffic]]:
    """The report from file://, every other request aborted and recorded."""
    traffic = Traffic()
    context = browser.new_context(viewport={"width": 1400, "height": 900}, offline=True)
    context.set_default_timeout(15_000)

    def block(route: Route, request: Request) -> None:
        if request.url.startswith("file://"):
            route.continue_()
        else:
            traffic.blocked.append(request.url)
            route.abort()

    context.route("**/*", block)
    page = context.new_page()
    page.on("requestfailed", lambda request: traffic.failed.append(request.url))
    page.on(
        "console",
        lambda message: (
            traffic.console_errors.append(message.text) if message.type == "error" else None
        ),
    )
    page.on("pageerror", lambda error: traffic.page_errors.append(str(error)))
    page.goto(report.path.as_uri())
    page.wait_for_selector("#chart-pareto .main-svg")
    yield page, traffic
    context.close()


def chart_text(page: Page, chart: str) -> str:
    """Every text plotly drew in a chart's SVG."""
    texts: list[str] = page.locator(f"#{chart} .main-svg text").all_text_contents()
    return " ".join(texts)


def test_the_page_asks_for_nothing_and_draws_every_chart(opened: tuple[Page, Traffic]) -> None:
    page, traffic = opened
    assert traffic.blocked == [] and traffic.failed == []
    assert traffic.console_errors == [] and traffic.page_errors == []
    # One plotly.js for the page, however many charts.
    assert page.locator("head script").count() == 1
    assert "68% [52%–80%] (27/40)" in chart_text(page, "chart-quality")
    assert "78% [62%–88%] (31/40)" in chart_text(page, "chart-quality")
    failures = chart_text(page, "chart-failures")
    assert "any failure 13/40" in failures and "catastrophic (critical)" in failures
    pareto = chart_text(page, "chart-pareto")
    assert "cheap (recommended)" in pareto and "cannot be separated: cheap, pricey" in pareto
    assert f"{dollars(0.27)}/1k" in pareto and f"{dollars(4.5)}/1k" in pareto
    latency = chart_text(page, "chart-latency-1")
    assert "E2E p95 target 5000 ms" in latency and "1 user" in latency


def test_the_numbers_on_the_page_are_those_the_store_gives(
    opened: tuple[Page, Traffic], report: Report
) -> None:
    page, _ = opened
    for summary in report.summary.candidates:
        rate = summary.pass_rate
        row = page.locator(f"table.quality tr[data-candidate='{summary.candidate_id}']")
        assert row.locator(".pass-rate").inner_text() == f"{100 * (rate.value or 0):.0f}%"
        assert row.locator(".interval").inner_text() == (
            f"{100 * rate.low:.0f}%–{100 * rate.high:.0f}%"
        )
        assert row.locator(".count").inner_text() == f"{rate.k}/{rate.n}"
    for cost in report.cost.candidates:
        assert cost.monthly is not None and cost.per_request is not None
        row = page.locator(f"table.cost tr[data-candidate='{cost.candidate_id}']")
        assert row.locator(".monthly").inner_text() == dollars(cost.monthly.total.value)
        assert row.locator(".per-thousand").inner_text() == dollars(cost.per_request.value * 1000)
    summary_box = page.locator("#recommendation-summary")
    assert summary_box.get_attribute("data-recommended") == "cheap"


def test_hostile_outputs_are_shown_as_text_and_never_run(opened: tuple[Page, Traffic]) -> None:
    page, _ = opened
    assert page.evaluate("typeof window.__pwned") == "undefined"
    output = page.locator(".excerpt.output").first.inner_text()
    assert output == PAYLOAD
    assert page.locator("#failures img").count() == 0
    assert page.locator("a[href^='javascript:']").count() == 0
    assert "<script>window.__pwned=1</script>|x" in page.locator("table.slices").inner_text()
    assert page.locator("#leaderboards h3").inner_text() == "Arena <b>board</b> | v2"


def test_the_pass_rate_by_slice_is_on_the_page_as_text(opened: tuple[Page, Traffic]) -> None:
    page, _ = opened
    table = page.locator("table.slice-rates[data-slice='group']")
    assert table.locator("thead th").all_inner_texts()[:5] == [
        "group",
        "Examples",
        "pricey",
        "cheap",
        "weak",
    ]
    rows = table.locator("tbody tr")
    assert rows.count() == 2
    plain, hostile = (rows.nth(i).locator("td").all_inner_texts() for i in range(2))
    assert plain[:2] == ["plain", "30"]
    # The slice value from the data is text on the page, never markup.
    assert hostile[:2] == ["<script>window.__pwned=1</script>|x", "10"]
    assert page.evaluate("typeof window.__pwned") == "undefined"
    # Each candidate's passes over the two values add up to its overall count.
    counts = [int(cell.split("(")[1].split("/")[0]) for cell in (*plain[2:5], *hostile[2:5])]
    assert [counts[i] + counts[i + 3] for i in range(3)] == [31, 27, 4]
