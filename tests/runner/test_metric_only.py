"""A metric-only check (promptfoo's weight 0) is measured and reported, never part of the
pass: not in the pass rate, not an unclassified failure, not in the store's pass counts."""

from __future__ import annotations

import json
import re
from pathlib import Path

from tests.projects import sentiment

from fieldeval.failures.report import labelled_outputs
from fieldeval.results.run_data import read_run
from fieldeval.results.summary import summarize
from fieldeval.runner import run_suite
from fieldeval.store import Store
from fieldeval.store.browse_store import BrowseStore
from fieldeval.store.example_query import ExampleQuery
from fieldeval.suite.loader import load_suite


def test_a_metric_only_check_is_counted_but_decides_nothing(tmp_path: Path, store: Store) -> None:
    path = sentiment.write(tmp_path)
    suite = json.loads(path.read_text())
    # Every answer but "Positive!" and the unparseable sentence is one lowercase word.
    suite["checks"].append({"regex": "^[a-z]+$", "id": "lowercase-word", "metric_only": True})
    path.write_text(json.dumps(suite))
    loaded = load_suite(path)
    run = run_suite(loaded, store, use_cache=False)

    stored = store.outputs(run.id)
    measured = [c for o in stored for c in o.checks if c.check_id == "lowercase-word"]
    assert measured and all(not c.decides for c in measured)
    hasty = [o for o in stored if o.candidate_id == "hasty"]
    results = {(o.example_id, c.check_id): c.passed for o in hasty for c in o.checks}
    not_lowercase = {r.id for r in sentiment.rows() if not re.fullmatch("[a-z]+", r.hasty_says)}
    assert {e for (e, check), ok in results.items() if check == "lowercase-word" and not ok} == (
        not_lowercase
    )
    label_passed = {e for (e, check), ok in results.items() if check == "label" and ok}
    assert not_lowercase & label_passed  # "Positive!" passes the label and fails the metric
    # The pass follows the label check alone.
    assert {o.example_id for o in hasty if o.passed} == label_passed

    summary = summarize(run, stored)
    by_id = {c.candidate_id: c for c in summary.candidates}
    assert by_id["hasty"].pass_rate.k == len(label_passed)
    assert by_id["hasty"].check_rates["lowercase-word"].n == 36  # still reported

    # The store's own counts (the runs list) and the examples filter agree.
    totals = {t.candidate_id: t for t in BrowseStore(store).totals([run.id])[run.id]}
    assert totals["hasty"].passed == len(label_passed)

    failing = BrowseStore(store).example_page(run, ExampleQuery(candidate="hasty", outcome="fail"))
    assert {row.example_id for row in failing.rows} == {
        r.id for r in sentiment.rows()
    } - label_passed

    # A metric-only failure is not an unclassified failure mode.
    labelled = labelled_outputs(loaded.suite, read_run(store, run.id))
    failed = {o.example_id for o in labelled if o.candidate_id == "hasty" and o.modes}
    assert failed == {r.id for r in sentiment.rows()} - label_passed
