"""Fixtures: real runs to grade and to browse, the app serving them on loopback, and Chromium."""

from __future__ import annotations

import csv
import shutil
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright
from tests.web.browse_suite import BrowseRuns, make_runs
from tests.web.browse_truth import Truth, compute
from tests.web.helpers import BOT, SUITE, TEXTS, Graded, Served, serving

from fieldeval.runner import run_suite
from fieldeval.store import Store
from fieldeval.suite.loader import load_suite


@pytest.fixture(scope="session")
def template_run(tmp_path_factory: pytest.TempPathFactory) -> Graded:
    """Run the suite once per session; each test grades a copy of its store."""
    folder = tmp_path_factory.mktemp("suite")
    with (folder / "data.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "text"])
        writer.writerows(TEXTS.items())
    (folder / "webgrade_bot.py").write_text(BOT, encoding="utf-8")
    (folder / "suite.yaml").write_text(SUITE, encoding="utf-8")
    store = Store.open(f"sqlite:///{folder / 'template.db'}")
    try:
        # Its own thread: Playwright's sync API keeps an event loop running in this one.
        with ThreadPoolExecutor(1) as pool:
            info = pool.submit(run_suite, load_suite(folder / "suite.yaml"), store).result()
    finally:
        store.close()  # checkpoints SQLite's WAL, so copying the file copies everything
    assert info.status == "finished"
    return Graded(folder / "suite.yaml", folder / "template.db", info.id)


@pytest.fixture
def graded(template_run: Graded, tmp_path: Path) -> Graded:
    db = tmp_path / "grades.db"
    shutil.copyfile(template_run.db, db)
    return Graded(template_run.suite, db, template_run.run_id)


@pytest.fixture
def served(graded: Graded) -> Iterator[Served]:
    with serving(graded) as handle:
        yield handle


# -- the browser -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Chromium, for one module at a time.

    While it is open, Playwright's sync API keeps an event loop running in this thread,
    which would break any later test that calls asyncio.run.
    """
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
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    context.set_default_timeout(10_000)
    opened = context.new_page()
    errors: list[str] = []
    opened.on("pageerror", lambda error: errors.append(str(error)))
    yield opened
    context.close()
    assert errors == [], f"the page raised: {errors}"


# -- two runs to browse, served by `fieldeval serve` ----------------------------------------


@pytest.fixture(scope="session")
def browse_runs(tmp_path_factory: pytest.TempPathFactory) -> BrowseRuns:
    """Two runs of the browsing suite, made once per session; the pages only read them."""
    return make_runs(tmp_path_factory.mktemp("browse"))


@pytest.fixture(scope="session")
def browse_served(browse_runs: BrowseRuns) -> Iterator[Served]:
    with serving(
        Graded(browse_runs.suite, browse_runs.db, browse_runs.second), command_name="serve"
    ) as handle:
        yield handle


@pytest.fixture(scope="session")
def browse_truth(browse_runs: BrowseRuns) -> Truth:
    return compute(browse_runs)
