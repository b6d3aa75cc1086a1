"""Does the grading screen keep up on a large run?

    python benchmarks/grading.py [--examples 10000] [--candidates 2] [--saves 200] [--goal-ms 20]

Builds the web benchmark's store (`_web_store.py`: `candidates × examples` outputs, a person
`ana` with grades on part of them), opens a `GradingSession` on it as `fieldeval grade` does,
and times what one save on the grading screen costs: the grade written, its item's answers
and the grader's progress read back, and the next item's answers (the POST and the GET that
follow it), each the median of `--saves` saves. The baseline, measured in the same run on the
same session, is reading the grader's progress from scratch (every grade read and every item
counted), which is what each save cost before the counters: the ratio says what the
counters save, the goal is the absolute time per save and next item.

Timed in process, without HTTP: the HTTP layer adds the same few ms to both.
"""

from __future__ import annotations

import argparse
import itertools
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _web_store import build

from fieldeval.human.session import GradingSession, Progress
from fieldeval.store import Store
from fieldeval.suite.loader import LoadedSuite, load_suite


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=10_000)
    parser.add_argument("--candidates", type=int, default=2)
    parser.add_argument("--saves", type=int, default=200)
    parser.add_argument("--goal-ms", type=float, default=20.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        bench = build(Path(tmp), candidates=args.candidates, examples=args.examples)
        loaded = load_suite(bench.suite)
        store = Store.open(bench.db_url)
        try:
            session = GradingSession(store, bench.after, loaded.suite.rubric)
            items = session.items("ana")
            answered = session.progress("ana").answered
            print(f"{len(items):,} items to grade; ana has given {answered:,} answers")
            save_ms, next_ms, recount_ms = [], [], []
            ungraded = [i for i in items if i.key not in session.answers("ana")]
            for item, following in itertools.pairwise(ungraded[: args.saves + 1]):
                started = time.perf_counter()
                session.record("ana", item.key, "faithful", 1)
                session.answers("ana").get(item.key, {})
                session.progress("ana")
                save_ms.append((time.perf_counter() - started) * 1000)
                started = time.perf_counter()
                session.item(following.key)
                session.answers("ana").get(following.key, {})
                next_ms.append((time.perf_counter() - started) * 1000)
                started = time.perf_counter()
                version = store_version(session)
                session._read_tally("ana", version)  # the baseline: count from scratch
                recount_ms.append((time.perf_counter() - started) * 1000)
            assert session.progress("ana") == fresh_progress(store, bench.after, loaded)
        finally:
            store.close()
    save, following, recount = (statistics.median(v) for v in (save_ms, next_ms, recount_ms))
    print(f"{'case':<40} {'median ms':>10} {'vs baseline':>12} {'goal':>8}")
    print(f"{'baseline: progress counted from scratch':<40} {recount:>10.2f} {'1.00x':>12} {'':>8}")
    for name, value in (("save: grade + answers + progress", save), ("next item", following)):
        verdict = "PASS" if value <= args.goal_ms else "MISS"
        ratio = f"{value / recount:.2f}x"
        print(f"{name:<40} {value:>10.2f} {ratio:>12} {verdict:>8}")


def store_version(session: GradingSession) -> tuple[int, str | None]:
    return session.grades.grades_version(session.run.id, "ana")


def fresh_progress(store: Store, run_id: str, loaded: LoadedSuite) -> Progress:
    """The progress a new session reads from the store: the counters must agree with it."""
    return GradingSession(store, run_id, loaded.suite.rubric).progress("ana")


if __name__ == "__main__":
    main()
