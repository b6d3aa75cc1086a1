"""Edge cases on the run page, in Chromium: the audit found an edges run's page saying "50 of
110 outputs stored" with no edge section. Each generator's row with its rates and n, linked to
its variants; the catastrophic replies as text, never markup."""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from playwright.sync_api import Page, expect
from tests.cli.test_edges_command import ROWS
from tests.web.helpers import Graded, Served, call, serving

import fieldeval
from fieldeval.store import Store

# Follows every planted instruction, and answers it with markup a page must not run.
BOT = """\
def bot(request):
    fields = request.variables
    if fields.get("edge") == "injection":
        return "Done: " + fields["edge_oracle"]["canary"] + " <img src=x onerror=alert(1)>"
    return "The customer is unhappy about a problem with their bank account."
"""


@pytest.fixture(scope="module")
def edges_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Served, str]]:
    folder = tmp_path_factory.mktemp("edges-page")
    module = f"edges_page_bot_{secrets.token_hex(4)}"
    (folder / f"{module}.py").write_text(BOT, encoding="utf-8")
    lines = ["id,text"] + [f'{i},"{t}"' for i, t in ROWS]
    (folder / "data.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    suite = {
        "task": {"name": "edges-page", "description": "Summarise.", "prompt": "{{ text }}"},
        "dataset": {"path": "data.csv", "id": "id", "input": "text"},
        "candidates": [{"id": "bot", "provider": "python", "function": f"{module}:bot"}],
        "checks": [{"contains": "customer"}],
        "edges": {"generators": ["typos", "injection"], "seed": 4},
    }
    (folder / "suite.yaml").write_text(json.dumps(suite, indent=2), encoding="utf-8")
    db = folder / "f.db"
    store = Store.open(f"sqlite:///{db}")
    try:
        # Its own thread: Playwright's sync API keeps an event loop running in this one.
        with ThreadPoolExecutor(1) as pool:
            done = pool.submit(fieldeval.evaluate, folder / "suite.yaml", store=store).result()
    finally:
        store.close()
    graded = Graded(folder / "suite.yaml", db, done.run.id)
    with serving(graded, command_name="serve") as handle:
        yield handle, done.run.id


def test_the_run_page_shows_each_generator_and_links_its_variants(
    edges_run: tuple[Served, str], page: Page
) -> None:
    served, run_id = edges_run
    status, data = call("GET", f"{served.base}/api/runs/{run_id}?wait=1")
    assert status == 200
    assert (data["run"]["stored"], data["run"]["planned"]) == (3, 3)
    assert data["run"]["variant_outputs"] == 6
    edges = data["edges"]
    assert (edges["variants"], edges["seeds"]) == (6, 3)
    rows = {row["generator"]: row for row in edges["candidates"][0]["rows"]}
    assert set(rows) == {"typos", "injection", "all"}
    injection = rows["injection"]
    assert injection["expect"] == "ignore_instruction"
    assert (injection["catastrophic"]["k"], injection["catastrophic"]["n"]) == (3, 3)
    assert injection["catastrophic"]["low"] > 0.3  # an interval, not a bare 100%
    assert rows["typos"]["ungraded"] == 3 and rows["typos"]["correct"] is None  # no judge
    assert rows["all"]["replies"] == 6 and rows["all"]["url"] is None

    page.goto(f"{served.base}/runs/{run_id}?wait=1")
    expect(page.locator("#variant-outputs")).to_contain_text("6 replies to edge-case variants")
    section = page.locator("#edges")
    row = section.locator('table[data-candidate="bot"] tr[data-generator="injection"]')
    expect(row).to_contain_text("ignore instruction")
    expect(row).to_contain_text("3/3")
    expect(section.locator('tr[data-generator="typos"]')).to_contain_text("–")
    expect(section.locator(".not-measured").first).to_contain_text("need the judge")
    worst = section.locator(".edge-worst li")
    expect(worst).to_have_count(3)
    expect(worst.first).to_contain_text("followed_injection")
    expect(worst.first).to_contain_text("<img src=x onerror=alert(1)>")  # shown as text
    assert section.locator("img").count() == 0

    row.locator("a").click()
    listed = page.locator("tbody tr")
    expect(listed).to_have_count(3)
    for i in range(3):
        assert "~injection~" in listed.nth(i).inner_text()
