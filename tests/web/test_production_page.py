"""The run page of an eval set drawn from production shows each rate weighted back to it, in
Chromium and as JSON, the same numbers the library computes."""

from __future__ import annotations

import json
import urllib.request

import pytest
from playwright.sync_api import Page, expect
from tests.production.test_weighted_suite import _project, _rows
from tests.web.helpers import Graded, Served, serving

import fieldeval


@pytest.fixture(scope="module")
def weighted_run(tmp_path_factory: pytest.TempPathFactory):
    folder = tmp_path_factory.mktemp("weighted")
    suite = _project(folder, _rows())
    result = fieldeval.evaluate(suite, db=str(folder / "r.db"))
    with serving(Graded(suite, folder / "r.db", result.run.id), command_name="serve") as served:
        yield served, result


def test_the_json_carries_the_library_estimate(weighted_run: tuple[Served, object]) -> None:
    served, result = weighted_run
    url = f"{served.base}/api/runs/{result.run.id}?wait=1"
    with urllib.request.urlopen(url, timeout=60) as response:
        page = json.load(response)
    [candidate] = page["production"]["candidates"]
    expected = result.production.of("production")
    assert candidate["weighted"]["rate"] == pytest.approx(expected.weighted.value)
    assert candidate["weighted"]["low"] == pytest.approx(expected.weighted.low)
    assert candidate["eval_set_rate"] == pytest.approx(7 / 12)
    assert page["production"]["calls"] == 100


def test_the_run_page_shows_the_estimate(weighted_run: tuple[Served, object], page: Page) -> None:
    served, result = weighted_run
    page.goto(f"{served.base}/runs/{result.run.id}?wait=1")
    row = page.locator("table.production-estimate tr[data-candidate='production']")
    expect(row).to_contain_text("92%")
    expect(row).to_contain_text("58%")
    expect(page.get_by_text("standing for 100 production calls")).to_be_visible()
