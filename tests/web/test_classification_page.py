"""A 3-class run in Chromium: the run page's confusion matrices, each cell a link to the
outputs it counts, and the per-class table beside its JSON twin."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from playwright.sync_api import Page, expect
from tests.projects import sentiment
from tests.web.helpers import Graded, Served, call, serving

from fieldeval.runner import run_suite
from fieldeval.store import Store
from fieldeval.suite.loader import load_suite


@pytest.fixture(scope="module")
def classified(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    folder = tmp_path_factory.mktemp("sentiment")
    suite = sentiment.write(folder)
    db = folder / "f.db"
    store = Store.open(f"sqlite:///{db}")
    try:
        # Its own thread: Playwright's sync API keeps an event loop running in this one.
        with ThreadPoolExecutor(1) as pool:
            run = pool.submit(run_suite, load_suite(suite), store).result()
    finally:
        store.close()
    with serving(Graded(suite, db, run.id), command_name="serve") as handle:
        yield handle


def _run_id(served: Served) -> str:
    status, runs = call("GET", served.base + "/api/runs")
    assert status == 200
    return str(runs["runs"][0]["id"])


def test_each_matrix_cell_counts_its_examples_and_opens_their_outputs(
    classified: Served, page: Page
) -> None:
    run_id = _run_id(classified)
    status, data = call("GET", f"{classified.base}/api/runs/{run_id}?wait=1")
    assert status == 200
    found = data["classification"]
    assert found["labels"] == ["negative", "neutral", "positive"] and found["inferred"]

    page.goto(f"{classified.base}/runs/{run_id}?wait=1")
    for candidate in ("steady", "hasty"):
        expected = sentiment.confusion(candidate)
        matrix = page.locator(f'#classification table.confusion[data-candidate="{candidate}"]')
        for (reference, read_as), count in expected.items():
            cell = matrix.locator(f'tr[data-reference="{reference}"] td[data-read-as="{read_as}"]')
            expect(cell).to_have_text(str(count))
        shown = next(c for c in found["candidates"] if c["candidate_id"] == candidate)
        assert shown["accuracy"]["k"] == sum(n for (r, p), n in expected.items() if r == p)
    neutral = page.locator(
        '#classification table.per-class[data-candidate="hasty"] tr[data-label="neutral"]'
    )
    expect(neutral).to_contain_text("2 of 12")  # recall: 2 of its 12 tweets read as neutral
    expect(page.locator('.classifier[data-candidate="hasty"] .confusions')).to_contain_text(
        "neutral read as negative (10)"
    )

    # The cell of hasty's ten neutral tweets read as negative lists exactly those outputs.
    page.locator(
        '#classification table.confusion[data-candidate="hasty"] tr[data-reference="neutral"]'
        ' td[data-read-as="negative"] a'
    ).click()
    expect(page.locator("h1 .filter-title")).to_contain_text("read as negative")
    rows = page.locator("tr.output-row")
    expect(rows).to_have_count(10)
    wanted = {
        row.id
        for row in sentiment.rows()
        if row.label == "neutral" and row.hasty_says == "negative"
    }
    shown = {rows.nth(i).locator("a.open").inner_text() for i in range(10)}
    assert shown == wanted
    assert all(rows.nth(i).locator("td.mono").inner_text() == "hasty" for i in range(10))

    # The unparseable one, from its own column.
    page.goto(f"{classified.base}/runs/{run_id}?wait=1")
    page.locator(
        '#classification table.confusion[data-candidate="hasty"] tr[data-reference="positive"]'
        ' td[data-read-as="(unparseable)"] a'
    ).click()
    expect(page.locator("tr.output-row")).to_have_count(1)
    expect(page.locator("tr.output-row a.preview")).to_contain_text("more positive than neutral")
