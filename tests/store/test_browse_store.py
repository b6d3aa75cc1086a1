"""`BrowseStore`'s SQL on both backends: the examples a filter keeps are those the library's
own account keeps (`Truth.matching`), in dataset order, a page at a time."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from tests.web.browse_suite import ALPHA, BETA, make_runs
from tests.web.browse_truth import compute

from fieldeval.store import Store
from fieldeval.store.browse_store import BrowseStore
from fieldeval.store.example_query import CriterionRule, ExampleQuery
from fieldeval.suite.loader import load_suite
from fieldeval.suite.rubric import Scale


def test_filters_paging_and_previews_agree_with_the_library(store_url: str, tmp_path: Path) -> None:
    with ThreadPoolExecutor(1) as pool:  # run_suite runs its own event loop
        runs = pool.submit(make_runs, tmp_path, store_url).result()
    truth = compute(runs)
    criterion = load_suite(runs.suite).suite.rubric[0]
    assert not isinstance(criterion.scale, Scale)
    faithful = CriterionRule(criterion.id, criterion.version, None)
    store = Store.open(store_url)
    try:
        browse = BrowseStore(store)
        cases = [
            (ExampleQuery(), truth.matching()),
            (
                ExampleQuery(candidate=ALPHA, outcome="fail"),
                truth.matching(candidate=ALPHA, outcome="fail"),
            ),
            (ExampleQuery(outcome="error"), truth.matching(outcome="error")),
            (ExampleQuery(failed_checks=("no-echo",)), truth.matching(check="no-echo")),
            (ExampleQuery(failing_criteria=(faithful,)), truth.matching(criterion="faithful")),
            (ExampleQuery(labels=("rude",)), truth.matching(mode="rude")),
            (ExampleQuery(slice=("topic", "loans")), truth.matching(slice=("topic", "loans"))),
            (ExampleQuery(edge="hostile"), truth.matching(edge="hostile")),
            (ExampleQuery(text="GREAT many"), truth.matching(q="GREAT many")),
            (ExampleQuery(text="100%"), truth.matching(q="100%")),
            (ExampleQuery(text="_"), truth.matching(q="_")),
            (
                ExampleQuery(candidate=BETA, outcome="pass", text="card"),
                truth.matching(candidate=BETA, outcome="pass", q="card"),
            ),
        ]
        for query, expected in cases:
            ids = []
            for offset in range(0, 60, 25):
                page = browse.example_page(
                    truth.run, ExampleQuery(**{**query.__dict__, "offset": offset, "limit": 25})
                )
                assert page.total == len(expected), query
                ids += [row.example_id for row in page.rows]
            assert ids == expected, query

        first = browse.example_page(truth.run, ExampleQuery(text="great many", limit=1)).rows[0]
        alpha = next(p for p in first.outputs if p.candidate_id == ALPHA)
        text = truth.output(ALPHA, first.example_id).text or ""
        assert (alpha.preview, alpha.failed_checks, alpha.passed) == (text, ("short",), False)
        assert [p.candidate_id for p in first.outputs] == [ALPHA, BETA]

        totals = browse.totals([truth.run.id])[truth.run.id]
        assert [(t.candidate_id, t.answered, t.passed) for t in totals] == [
            (c.candidate_id, c.answered, c.pass_rate.k) for c in truth.summary.candidates
        ]
        assert browse.edge_values(truth.run.dataset_hash) == ["hostile", "truncated"]
        assert browse.slice_values(truth.run.dataset_hash, ["topic"]) == {
            "topic": ["billing", "cards", "loans"]
        }
        listed, total = browse.runs("browse", offset=0, limit=1)
        assert ([r.id for r in listed], total) == ([truth.run.id], 2)
        assert listed[0].candidates == (ALPHA, BETA)
        assert browse.previous_run(truth.run) == truth.first.id
    finally:
        store.close()
