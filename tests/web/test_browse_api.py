"""The browsing pages' JSON twins over real HTTP: filters and paging against the library's
counts, the run page's numbers, and what is refused."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any
from urllib.parse import urlencode

import pytest
from tests.web.browse_suite import ALPHA, BETA, HOSTILE_INPUT, HOSTILE_OUTPUT, BrowseRuns
from tests.web.browse_truth import Truth
from tests.web.helpers import PAYLOAD, Graded, Served, call, serving

from fieldeval.edges.clean_view import is_variant
from fieldeval.stats.intervals import Rate

FILTERS: list[dict[str, str]] = [
    {},
    {"candidate": ALPHA},
    {"outcome": "fail"},
    {"outcome": "pass", "candidate": BETA},
    {"outcome": "error"},
    {"check": "no-echo"},
    {"check": "short", "candidate": ALPHA},
    {"criterion": "faithful"},
    {"mode": "rude"},
    {"mode": "too-long"},
    {"mode": "markup"},
    {"mode": "unfaithful", "candidate": BETA},
    {"slice": "topic=cards"},
    {"edge": "hostile"},
    {"q": "refund"},
    {"q": "GREAT many"},
    {"q": "100%"},  # a literal percent sign, not a wildcard
    {"q": "_"},  # a literal underscore: only the payload has one
    {"outcome": "fail", "slice": "topic=billing", "q": "charge 1"},
    {"candidate": BETA, "outcome": "fail", "q": "customer writes"},
]


def every_page(served: Served, path: str) -> tuple[list[str], list[dict[str, Any]]]:
    """The example ids over every page, following next_url; and each page's JSON."""
    ids: list[str] = []
    seen = []
    next_path: str | None = path
    while next_path is not None:
        status, data = call("GET", served.base + "/api" + next_path)
        assert status == 200, data
        seen.append(data)
        ids += [example["example_id"] for example in data["examples"]]
        next_path = data["next_url"]
    return ids, seen


@pytest.mark.parametrize("where", FILTERS, ids=lambda where: urlencode(where) or "all")
def test_each_filter_lists_what_the_library_counts(
    browse_served: Served, browse_truth: Truth, where: dict[str, str]
) -> None:
    truth = browse_truth
    query = f"?{urlencode(where)}" if where else ""
    ids, pages = every_page(browse_served, f"/runs/{truth.run.id}/examples{query}")
    args: dict[str, Any] = dict(where)
    if "slice" in args:
        args["slice"] = tuple(args["slice"].split("=", 1))
    expected = truth.matching(**args)
    assert ids == expected
    assert {page["total"] for page in pages} == {len(expected)}
    assert len(pages) == max(1, -(-len(expected) // 50))


def test_the_filters_find_what_they_were_built_to_find(browse_truth: Truth) -> None:
    """The data is meant to exercise each filter: none of these is vacuous."""
    truth = browse_truth
    assert truth.matching(q="_") == [HOSTILE_OUTPUT, HOSTILE_INPUT]
    assert truth.matching(q="100%") == [f"l{i}" for i in range(41, 55)]
    assert truth.matching(outcome="error") == ["z57"]
    assert truth.matching(mode="rude") == ["c30"]
    assert truth.matching(edge="hostile") == ["c21", "c28", "c35", HOSTILE_INPUT]
    assert len(truth.matching()) == 57


def test_paging_walks_every_example_once_in_order(
    browse_served: Served, browse_truth: Truth
) -> None:
    ids, pages = every_page(browse_served, f"/runs/{browse_truth.run.id}/examples")
    assert ids == [example.id for example in browse_truth.examples]
    first, second = pages
    assert (first["page"], first["pages"], first["per_page"], len(first["examples"])) == (
        1,
        2,
        50,
        50,
    )
    assert first["prev_url"] is None and second["next_url"] is None
    assert second["prev_url"] == f"/runs/{browse_truth.run.id}/examples"
    status, beyond = call(
        "GET", f"{browse_served.base}/api/runs/{browse_truth.run.id}/examples?page=3"
    )
    assert (status, beyond["examples"], beyond["total"]) == (200, [], 57)


def test_an_examples_row_carries_each_candidates_verdict_and_opening(
    browse_served: Served, browse_truth: Truth
) -> None:
    truth = browse_truth
    status, data = call("GET", f"{browse_served.base}/api/runs/{truth.run.id}/examples?q=PAYLOAD")
    assert status == 200, data
    (row,) = data["examples"]
    assert row["example_id"] == HOSTILE_OUTPUT
    alpha, beta = row["candidates"]
    assert alpha["outputs"][0]["preview"] == PAYLOAD  # raw in JSON; the pages escape it
    assert alpha["outputs"][0]["outcome"] == "fail"
    assert alpha["outputs"][0]["failed_checks"] == ["no-markup"]
    beta_passed = truth.output(BETA, HOSTILE_OUTPUT).passed
    assert beta["outputs"][0]["outcome"] == ("pass" if beta_passed else "fail")
    options = data["options"]
    assert options["edges"] == ["hostile", "truncated"]
    assert {"name": "topic", "value": "billing", "param": "topic=billing"} in options["slices"]


def test_the_run_json_has_the_librarys_numbers(browse_served: Served, browse_truth: Truth) -> None:
    truth = browse_truth
    status, data = call("GET", f"{browse_served.base}/api/runs/{truth.run.id}")
    assert status == 200, data
    for shown, found in zip(data["quality"], truth.summary.candidates, strict=True):
        rate = shown["pass"]
        assert Rate(rate["k"], rate["n"], rate["low"], rate["high"]) == found.pass_rate
        assert {c["check_id"]: (c["k"], c["n"]) for c in shown["checks"]} == {
            check: (r.k, r.n) for check, r in found.check_rates.items()
        }
        assert shown["error_count"] == found.error_count
    for shown, failures in zip(data["failures"], truth.report.candidates, strict=True):
        assert shown["weighted"] == {
            "value": failures.weighted.value,
            "low": failures.weighted.low,
            "high": failures.weighted.high,
        }
        assert (shown["catastrophic"]["k"], shown["catastrophic"]["n"]) == (
            failures.catastrophic.k,
            failures.catastrophic.n,
        )
    assert data["cost"]["total_usd"] == truth.cost.total_usd
    assert [c["price"] is not None for c in data["cost"]["candidates"]] == [True, False]
    assert data["links"]["compare_previous"] == (
        f"/compare?before={truth.first.id}&after={truth.run.id}"
    )
    pair = data["pairs"][0]
    assert (pair["a"], pair["b"], pair["n"]) == (ALPHA, BETA, 56)  # z57 has no alpha answer
    named = {"a better": f"{ALPHA} better", "b better": f"{BETA} better"}
    assert pair["verdict_text"] == named.get(pair["verdict"], pair["verdict"])


def test_the_outputs_list_and_one_output_agree_with_the_failure_report(
    browse_served: Served, browse_truth: Truth
) -> None:
    truth = browse_truth
    base = f"{browse_served.base}/api/runs/{truth.run.id}/outputs"
    status, listed = call("GET", f"{base}?mode=unfaithful")
    assert status == 200, listed
    expected = [o for o in truth.report.outputs if "unfaithful" in o.modes]
    assert [row["example_id"] for row in listed["outputs"]] == [o.example_id for o in expected]
    for example, modes in (("c22", []), ("c24", ["unfaithful"])):
        status, one = call("GET", f"{base}/{ALPHA}/{example}/0")
        assert status == 200, one
        assert [m["id"] for m in one["failure_modes"]] == modes
        assert sorted(truth.modes[(ALPHA, example, 0)]) == modes


@pytest.mark.parametrize(
    ("path", "status", "message"),
    [
        ("/examples?candidate=nobody", 422, "has no candidate 'nobody'"),
        ("/examples?check=nope", 422, "has no check 'nope'"),
        ("/examples?mode=nope", 422, "the suite has no failure mode 'nope'"),
        ("/examples?criterion=nope", 422, "the suite has no criterion 'nope'"),
        ("/examples?slice=topic", 422, "give a slice as NAME=VALUE"),
        ("/examples?slice=colour%3Dred", 422, "the suite has no slice 'colour'"),
        ("/examples?outcome=maybe", 422, "outcome"),
        ("/examples?page=0", 422, "page"),
        ("/examples/no-such-example", 404, "has no example 'no-such-example'"),
    ],
)
def test_unknown_names_are_refused_with_what_is_wrong(
    browse_served: Served, browse_truth: Truth, path: str, status: int, message: str
) -> None:
    answer_status, answer = call(
        "GET", f"{browse_served.base}/api/runs/{browse_truth.run.id}{path}"
    )
    assert answer_status == status
    assert message in answer["error"]


def test_a_comparison_needs_two_runs_of_the_suite(
    browse_served: Served, browse_truth: Truth
) -> None:
    base = f"{browse_served.base}/api/compare"
    status, answer = call("GET", f"{base}?before={browse_truth.first.id}")
    assert status == 422 and "after" in answer["error"]
    status, answer = call("GET", f"{base}?before=nope&after={browse_truth.run.id}")
    assert status == 404 and "matches no run" in answer["error"]
    status, text = call("GET", f"{browse_served.base}/compare?before=nope&after=nope")
    assert status == 404 and "matches no run" in text


def test_a_later_page_of_runs_is_empty_but_counts_them(browse_served: Served) -> None:
    status, data = call("GET", f"{browse_served.base}/api/runs?page=2")
    assert (status, data["runs"], data["total"], data["pages"]) == (200, [], 2, 1)
    assert data["prev_url"] == "/"


def test_serve_with_a_run_opens_that_run(browse_runs: BrowseRuns) -> None:
    graded = Graded(browse_runs.suite, browse_runs.db, browse_runs.first)
    with serving(graded, "--run", browse_runs.first, command_name="serve") as one:
        assert one.url == f"{one.base}/runs/{browse_runs.first}"
        status, html = call("GET", one.url)
        assert status == 200 and "Quality" in html


def test_an_errored_output_shows_its_error_beside_the_answer(
    browse_served: Served, browse_truth: Truth
) -> None:
    path = f"/runs/{browse_truth.run.id}/examples/z57"
    status, data = call("GET", f"{browse_served.base}/api{path}")
    assert status == 200, data
    alpha, beta = (c["outputs"][0] for c in data["candidates"])
    assert (alpha["outcome"], alpha["error"]["kind"], alpha["analysed"]) == (
        "error",
        "app_error",
        False,
    )
    assert beta["outcome"] in ("pass", "fail") and beta["error"] is None
    status, html = call("GET", f"{browse_served.base}{path}")
    assert status == 200 and "the app fell over &lt;b&gt;here&lt;/b&gt;" in html


def test_the_cli_and_the_web_app_send_the_same_json_for_a_runs_cost(
    browse_served: Served, browse_runs: BrowseRuns
) -> None:
    run_id = browse_runs.second
    shown = subprocess.run(
        [sys.executable, "-m", "fieldeval", "cost", str(browse_runs.suite), "--run", run_id,
         "--json", "-", "--db", browse_runs.db_url],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert shown.returncode == 0, shown.stderr
    from_cli = json.loads(shown.stdout)

    status, from_web = call("GET", f"{browse_served.base}/api/runs/{run_id}")

    assert status == 200, from_web
    assert from_cli["format"] == 1 and from_cli["kind"] == "cost"
    assert from_cli["cost"] == from_web["cost"]
    # Both are the whole object, unrounded: every candidate, its price and its intervals.
    assert [c["candidate_id"] for c in from_web["cost"]["candidates"]] == [ALPHA, BETA]
    assert from_web["cost"]["candidates"][0]["price"]["description"]
    assert from_web["cost"]["candidates"][0]["per_request"]["n"] > 0


def test_the_run_json_has_each_slice_values_rate(
    browse_served: Served, browse_truth: Truth
) -> None:
    truth = browse_truth
    status, data = call("GET", f"{browse_served.base}/api/runs/{truth.run.id}")
    assert status == 200, data
    topic = next(f for f in data["slices"] if f["field"] == "topic")
    clean = [e for e in truth.examples if not is_variant(e) and "topic" in e.slices]
    for value in topic["values"]:
        ids = {e.id for e in clean if e.slices["topic"] == value["value"]}
        assert value["examples"] == len(ids)
        assert value["url"].endswith(f"slice=topic%3D{value['value']}")
        for candidate, rate in value["rates"].items():
            answered = [o for o in truth.outputs if o.candidate_id == candidate]
            answered = [o for o in answered if o.example_id in ids and o.ok]
            assert (rate["k"], rate["n"]) == (sum(o.passed for o in answered), len(answered))
        assert [(p["a"], p["b"]) for p in value["pairs"]] == [(ALPHA, BETA)]
