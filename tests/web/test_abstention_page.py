"""Answers and abstentions on the run page, in Chromium: the rates beside their JSON twin,
and each count a link to exactly the outputs it counts."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from tests.web.helpers import Graded, Served, call, serving

from fieldeval.runner import run_suite
from fieldeval.store import Store
from fieldeval.suite.loader import load_suite

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "abstention"


@pytest.fixture(scope="module")
def amounts(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    folder = tmp_path_factory.mktemp("amounts")
    for path in FIXTURE.iterdir():
        shutil.copy(path, folder / path.name)
    db = folder / "f.db"
    store = Store.open(f"sqlite:///{db}")
    try:
        # Its own thread: Playwright's sync API keeps an event loop running in this one.
        with ThreadPoolExecutor(1) as pool:
            run = pool.submit(run_suite, load_suite(folder / "suite.yaml"), store).result()
    finally:
        store.close()
    with serving(Graded(folder / "suite.yaml", db, run.id), command_name="serve") as handle:
        yield handle


def test_the_abstention_table_links_each_count_to_its_outputs(amounts: Served, page: Page) -> None:
    status, runs = call("GET", amounts.base + "/api/runs")
    assert status == 200
    run_id = str(runs["runs"][0]["id"])
    status, data = call("GET", f"{amounts.base}/api/runs/{run_id}?wait=1")
    assert status == 200
    found = data["abstention"]
    assert found["candidates"] == ["careful", "eager"]
    rows = {row["measure"]: row["cells"] for row in found["rows"]}
    assert [cell["k"] for cell in rows["abstained"]] == [8, 2]
    assert [(c["k"], c["n"]) for c in rows["answered the unanswerable"]] == [(1, 8), (6, 8)]

    page.goto(f"{amounts.base}/runs/{run_id}?wait=1")
    section = page.locator("#abstention")
    expect(section.locator('tr[data-measure="over-abstention (has an answer)"]')).to_contain_text(
        "1 of 8"
    )
    expect(section.locator('tr[data-measure="risk-coverage"]')).to_contain_text("AURC 0.05")
    section.locator('tr[data-measure="abstained"] td').nth(0).locator("a").click()
    expect(page.locator("h1 .filter-title")).to_contain_text("careful · abstained")
    listed = page.locator("tr.output-row")
    expect(listed).to_have_count(8)
    texts = [listed.nth(i).locator("a.preview").inner_text() for i in range(8)]
    assert not any(text.startswith("$") for text in texts)  # none is an amount
