"""Browsing a suite's runs in Chromium, over `fieldeval serve` on loopback.

The runs list, a run, its examples filtered, an example side by side and two runs compared,
each checked against the library's numbers (`Truth`) and against its JSON twin.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

from playwright.sync_api import Page, expect
from tests.web.browse_suite import ALPHA, BETA, HOSTILE_INPUT, HOSTILE_OUTPUT
from tests.web.browse_truth import Truth
from tests.web.helpers import PAYLOAD, Served, call

from fieldeval.notation import dollars
from fieldeval.stats.intervals import Rate
from fieldeval.stats.quantile import quantile


def pct(value: float | None) -> str:
    assert value is not None
    return f"{100 * value:.1f}%"


def shown_rate(rate: Rate) -> str:
    return f"{pct(rate.value)} [{pct(rate.low)}, {pct(rate.high)}]"


def api(served: Served, path: str) -> Any:
    status, data = call("GET", served.base + "/api" + path)
    assert status == 200, data
    return data


def shown_ids(page: Page, selector: str, attribute: str) -> list[str]:
    return [str(node.get_attribute(attribute)) for node in page.locator(selector).all()]


def test_serve_opens_on_the_runs_list_newest_first(
    browse_served: Served, browse_truth: Truth, page: Page
) -> None:
    truth = browse_truth
    assert browse_served.url == browse_served.base + "/"
    page.goto(browse_served.url)
    expect(page.locator("h1")).to_have_text("Runs of browse")
    rows = page.locator("tr.run-row")
    expect(rows).to_have_count(2)
    assert shown_ids(page, "tr.run-row", "data-run") == [truth.run.id, truth.first.id]
    for row, summary in zip(rows.all(), (truth.summary, truth.first_summary), strict=True):
        for found in summary.candidates:
            item = row.locator(f'li[data-candidate="{found.candidate_id}"]')
            expect(item).to_contain_text(shown_rate(found.pass_rate))
            k, n = found.pass_rate.k, found.pass_rate.n
            expect(item.locator("a.count")).to_have_text(f"{k} of {n}")

    listed = api(browse_served, "/runs")
    assert [r["id"] for r in listed["runs"]] == [truth.run.id, truth.first.id]
    assert listed["runs"][0]["previous"] == truth.first.id
    for shown, summary in zip(listed["runs"], (truth.summary, truth.first_summary), strict=True):
        rates = [
            Rate(c["pass"]["k"], c["pass"]["n"], c["pass"]["low"], c["pass"]["high"])
            for c in shown["candidates"]
        ]
        assert rates == [c.pass_rate for c in summary.candidates]
        assert [c["errors"] for c in shown["candidates"]] == [
            c.error_count for c in summary.candidates
        ]

    rows.first.locator("a.open").click()
    expect(page).to_have_url(f"{browse_served.base}/runs/{truth.run.id}")


def test_the_run_page_shows_quality_failures_cost_and_latency(
    browse_served: Served, browse_truth: Truth, page: Page
) -> None:
    truth, run_id = browse_truth, browse_truth.run.id
    page.goto(f"{browse_served.base}/runs/{run_id}")
    data = api(browse_served, f"/runs/{run_id}")
    for found, shown in zip(truth.summary.candidates, data["quality"], strict=True):
        row = page.locator(f'#quality tr[data-candidate="{found.candidate_id}"]')
        expect(row.locator("td.pass")).to_contain_text(shown_rate(found.pass_rate))
        assert (shown["pass"]["k"], shown["pass"]["n"]) == (found.pass_rate.k, found.pass_rate.n)
        for check_id, rate in found.check_rates.items():
            item = row.locator(f'li[data-check="{check_id}"]')
            expect(item).to_contain_text(f"{shown_rate(rate)} {rate.k} of {rate.n}")
        chart = page.locator('[data-chart="pass"] .chart-row', has_text=found.candidate_id)
        expect(chart.locator(".chart-value")).to_have_text(
            f"{shown_rate(found.pass_rate)} · {found.pass_rate.k} of {found.pass_rate.n}"
        )
    for found in truth.report.candidates:
        weighted = found.weighted
        assert weighted.value is not None and weighted.low is not None
        assert weighted.high is not None
        expect(
            page.locator(f'#failures tr[data-candidate="{found.candidate_id}"]')
        ).to_contain_text(
            f"{weighted.value:.2f} [{weighted.low:.2f}, {weighted.high:.2f}] n={found.n}"
        )
    for cid, shown in zip((ALPHA, BETA), data["timing"], strict=True):
        latencies = [
            o.latency_ms
            for o in truth.outputs
            if o.candidate_id == cid and o.ok and o.latency_ms is not None
        ]
        median = quantile(latencies, 50)
        assert shown["latency"]["p50"] == {
            "n": median.n,
            "value": median.value,
            "low": median.low,
            "high": median.high,
        }
        assert median.value is not None
        cell = page.locator(f'#timing tr[data-candidate="{cid}"] [data-stat="latency-p50"]')
        expect(cell).to_contain_text(f"{median.value:.0f} ms")
    # The judge's verdicts on alpha, and people's where they graded.
    judge = page.locator(f'#rubric tr[data-candidate="{ALPHA}"][data-source="judge"]')
    expect(judge).to_contain_text("2 of 4")
    people = page.locator(f'#rubric tr[data-candidate="{ALPHA}"][data-source="people"]')
    expect(people).to_contain_text("1 of 2")
    # A price for alpha, none for beta.
    alpha_cost = next(c for c in truth.cost.candidates if c.candidate_id == ALPHA)
    assert alpha_cost.total_usd is not None
    expect(page.locator(f'#cost tr[data-candidate="{ALPHA}"]')).to_contain_text(
        dollars(alpha_cost.total_usd, figures=3)
    )
    expect(page.locator(f'#cost tr[data-candidate="{BETA}"] .no-price')).to_contain_text("no price")
    assert data["cost"]["candidates"][0]["total_usd"] == alpha_cost.total_usd

    # The judge's rates there are flagged: people have not shown it can stand in.
    assert data["judge_warnings"]
    expect(page.locator("#rubric .judge-warning").first).to_contain_text("uncalibrated")
    # Pass rate per slice value, each value linking to its examples.
    topic = next(f for f in data["slices"] if f["field"] == "topic")
    table = page.locator('table.slice-rates[data-slice="topic"]')
    for value in topic["values"]:
        row = table.locator(f'tr[data-value="{value["value"]}"]')
        for cid, rate in value["rates"].items():
            expect(row.locator(f'td[data-candidate="{cid}"]')).to_contain_text(
                f"{rate['k']} of {rate['n']}"
            )
        expect(row.locator("a").first).to_have_attribute("href", value["url"])

    page.locator("#compare-previous").click()
    expect(page).to_have_url(re.compile(rf"/compare\?before={truth.first.id}&after={run_id}$"))


def test_filtering_the_examples_to_failures_by_slice_and_by_text(
    browse_served: Served, browse_truth: Truth, page: Page
) -> None:
    truth = browse_truth
    page.goto(f"{browse_served.base}/runs/{truth.run.id}/examples")
    expect(page.locator(".total")).to_have_text(str(len(truth.matching())))

    def shows(expected: list[str]) -> None:
        expect(page.locator(".total")).to_have_text(str(len(expected)))
        expect(page.locator("tr.example-row")).to_have_count(min(50, len(expected)))
        assert shown_ids(page, "tr.example-row", "data-example") == expected[:50]
        path = page.url.removeprefix(browse_served.base)
        twin = api(browse_served, path)
        assert [e["example_id"] for e in twin["examples"]] == expected[:50]
        assert twin["total"] == len(expected)

    page.select_option('select[name="candidate"]', ALPHA)
    page.select_option('select[name="outcome"]', "fail")
    page.locator("#filters button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"candidate=cand-alpha&outcome=fail"))
    shows(truth.matching(candidate=ALPHA, outcome="fail"))

    page.select_option('select[name="slice"]', "topic=billing")
    page.locator("#filters button[type=submit]").click()
    expected = truth.matching(candidate=ALPHA, outcome="fail", slice=("topic", "billing"))
    assert expected  # alpha runs long on billing
    shows(expected)

    page.locator("#filters a", has_text="clear").click()
    page.fill('input[name="q"]', "great MANY")
    page.locator("#filters button[type=submit]").click()
    found = truth.matching(q="great MANY")  # only alpha's answers on billing say it
    assert found == [f"b{i}" for i in range(1, 21)]
    shows(found)
    cell = page.locator(f'tr.example-row[data-example="b1"] td[data-candidate="{ALPHA}"]')
    expect(cell.locator(".verdict")).to_have_text("fail")
    expect(cell).to_contain_text("short")


def test_an_example_shows_every_candidates_output_side_by_side(
    browse_served: Served, browse_truth: Truth, page: Page
) -> None:
    truth = browse_truth
    page.goto(
        f"{browse_served.base}/runs/{truth.run.id}/examples?candidate={ALPHA}&criterion=faithful"
    )
    failing = truth.matching(candidate=ALPHA, criterion="faithful")
    assert failing == ["c21", "c24"]  # the judge's fail, and a person's over the judge's pass
    assert shown_ids(page, "tr.example-row", "data-example") == failing
    page.locator('tr.example-row[data-example="c21"] a.open').click()
    expect(page).to_have_url(f"{browse_served.base}/runs/{truth.run.id}/examples/c21")
    expect(page.locator("#input")).to_have_text("Card question 21")
    columns = page.locator(".candidate-column")
    expect(columns).to_have_count(2)
    for cid in (ALPHA, BETA):
        column = page.locator(f'.candidate-column[data-candidate="{cid}"]')
        expect(column.locator("pre.output-text")).to_have_text(truth.output(cid, "c21").text or "")
        expect(column.locator('tr[data-check="short"] .verdict')).to_have_text("pass")
        expect(column.locator(".usage")).to_contain_text("Latency")
    # Side by side: the two columns sit next to each other, not one below the other.
    left, right = (columns.nth(i).bounding_box() for i in range(2))
    assert left is not None and right is not None
    assert left["x"] < right["x"] and abs(left["y"] - right["y"]) < 1
    alpha = page.locator(f'.candidate-column[data-candidate="{ALPHA}"]')
    expect(alpha.locator(".grades")).to_contain_text("reason: It adds a claim <i>never</i> made.")
    expect(alpha.locator(".grades i")).to_have_count(0)
    expect(alpha.locator('li[data-mode="unfaithful"]')).to_be_visible()

    twin = api(browse_served, f"/runs/{truth.run.id}/examples/c21")
    assert [c["candidate_id"] for c in twin["candidates"]] == [ALPHA, BETA]
    texts = [c["outputs"][0]["output"] for c in twin["candidates"]]
    assert texts == [truth.output(ALPHA, "c21").text, truth.output(BETA, "c21").text]
    assert [m["id"] for m in twin["candidates"][0]["outputs"][0]["failure_modes"]] == ["unfaithful"]


def test_comparing_two_runs_lists_the_flipped_examples_regressions_first(
    browse_served: Served, browse_truth: Truth, page: Page
) -> None:
    truth = browse_truth
    page.goto(browse_served.url)
    page.locator("tr.run-row").first.locator("a.compare").click()
    expect(page).to_have_url(
        re.compile(rf"/compare\?before={truth.first.id}&after={truth.run.id}$")
    )
    expected = [
        (c.candidate_id, flip.example_id, flip.direction)
        for direction in ("regressed", "fixed")
        for c in truth.comparison.candidates
        for flip in c.flips
        if flip.direction == direction
    ]
    directions = [d for _, _, d in expected]
    assert "regressed" in directions and "fixed" in directions
    rows = page.locator("tr.flip-row")
    expect(rows).to_have_count(len(expected))
    assert shown_ids(page, "tr.flip-row", "data-direction") == directions
    assert shown_ids(page, "tr.flip-row", "data-example") == [e for _, e, _ in expected]
    first = expected[0]
    expect(rows.first).to_contain_text(first[0])
    for c in truth.comparison.candidates:
        counts = page.locator(f'#counts tr[data-candidate="{c.candidate_id}"]')
        regressed = sum(f.direction == "regressed" for f in c.flips)
        expect(counts.locator(".regressed")).to_have_text(str(regressed))
        expect(counts.locator(".fixed")).to_have_text(str(len(c.flips) - regressed))

    twin = api(browse_served, f"/compare?before={truth.first.id}&after={truth.run.id}")
    assert [
        (r["candidate_id"], r["example_id"], r["direction"]) for r in twin["flips"]["rows"]
    ] == (expected)
    passing = {m.metric: m for m in truth.comparison.candidates[1].metrics}["pass"]
    shown = twin["candidates"][1]["metrics"][0]
    assert (shown["metric"], shown["before"]["k"], shown["after"]["k"]) == (
        "pass",
        passing.before.k,
        passing.after.k,
    )


def test_hostile_inputs_and_outputs_stay_inert_text(
    browse_served: Served, browse_truth: Truth, page: Page
) -> None:
    run_id = browse_truth.run.id
    examples = f"{browse_served.base}/runs/{run_id}/examples"
    for url in (
        f"{examples}?page=2",  # both hostile examples sit at its top
        f"{examples}?q={quote('<script>')}",
        f"{examples}/{HOSTILE_INPUT}",
        f"{examples}/{HOSTILE_OUTPUT}",
        f"{browse_served.base}/runs/{run_id}/outputs/{ALPHA}/{HOSTILE_OUTPUT}/0",
    ):
        page.goto(url)
        assert page.evaluate("typeof window.__pwned") == "undefined", url
        assert page.locator("img").count() == 0, url
        assert page.locator('a[href^="javascript:"]').count() == 0, url
        assert page.locator("script").count() == 0, url  # the results pages run no script
        expect(page.locator("body")).to_contain_text("<script>window.__pwned=1</script>")
        expect(page.locator("body")).to_contain_text('<a href="javascript:window.__pwned=1">')

    page.goto(f"{examples}/{HOSTILE_INPUT}")
    expect(page.locator("#input")).to_have_text(f"{PAYLOAD}\nwhat now 56")
    expect(page.locator("#input *")).to_have_count(0)  # no element made from the text
    page.goto(f"{examples}/{HOSTILE_OUTPUT}")
    alpha = page.locator(f'.candidate-column[data-candidate="{ALPHA}"] pre.output-text')
    expect(alpha).to_have_text(PAYLOAD)
    expect(alpha.locator("*")).to_have_count(0)
    expect(page.locator('li[data-mode="markup"]')).to_contain_text("critical")
