"""Kept analyses: computed once, and computed again when what they read changes."""

from __future__ import annotations

import shutil
import threading
import time
from pathlib import Path

from tests.web.browse_suite import ALPHA, BrowseRuns
from tests.web.helpers import Graded, call, serving

from fieldeval.records.grade import Grade
from fieldeval.store import Store
from fieldeval.store.grade_store import GradeStore
from fieldeval.suite.loader import load_suite
from fieldeval.web.cache import AnalysisCache


def test_threads_asking_at_once_share_one_computation() -> None:
    cache = AnalysisCache()
    calls: list[int] = []

    def slow() -> str:
        calls.append(1)
        time.sleep(0.2)
        return "done"

    answers: list[str] = []
    threads = [
        threading.Thread(target=lambda: answers.append(cache.get(("a", "run"), 1, slow)))
        for _ in range(4)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert answers == ["done"] * 4 and len(calls) == 1


def test_a_new_version_replaces_the_old_and_the_oldest_family_goes_first() -> None:
    cache = AnalysisCache(size=2)
    assert cache.get("a", 1, lambda: "a1") == "a1"
    assert cache.get("a", 2, lambda: "a2") == "a2"
    assert cache.peek("a", 1) == (False, None)  # no stale copy kept beside the new one
    cache.put("b", 1, "b1")
    cache.put("c", 1, "c1")
    assert cache.peek("a", 2) == (False, None)
    assert cache.peek("b", 1) == (True, "b1") and cache.peek("c", 1) == (True, "c1")


def test_a_grade_given_while_the_app_runs_shows_on_the_next_request(
    browse_runs: BrowseRuns, tmp_path: Path
) -> None:
    db = tmp_path / "browse.db"
    shutil.copyfile(browse_runs.db, db)
    graded = Graded(browse_runs.suite, db, browse_runs.second)
    url = f"/api/runs/{browse_runs.second}"
    with serving(graded, command_name="serve") as served:

        def people_on_alpha() -> tuple[int, int]:
            status, data = call("GET", served.base + url)
            assert status == 200, data
            row = next(
                r for r in data["rubric"] if (r["candidate_id"], r["source"]) == (ALPHA, "people")
            )
            return row["k"], row["n"]

        assert people_on_alpha() == (1, 2)
        assert people_on_alpha() == (1, 2)  # kept: nothing changed
        criterion = load_suite(browse_runs.suite).suite.rubric[0]
        store = Store.open(graded.db_url)
        try:
            GradeStore(store).save_grade(
                Grade(
                    browse_runs.second,
                    ALPHA,
                    "c25",
                    0,
                    "faithful",
                    criterion.version,
                    "bob",
                    "human",
                    1,
                    None,
                )
            )
        finally:
            store.close()
        assert people_on_alpha() == (2, 3)
