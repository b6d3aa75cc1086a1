"""Grading a stored run's edge cases: its variants read back from the store, then graded.

The variants are the run's examples that carry `edge` fields (see `edges.expand`); each
reply is graded by `edge_grading.grade_edges`: the deterministic oracles, then the suite's
judge against the clean original's reply. With `judge=False`, or a suite without `judge:`,
only the deterministic oracles decide, and every reply they do not decide is left
ungraded (counted in the report's `undecided`), never guessed.
"""

from __future__ import annotations

import asyncio
import dataclasses

from fieldeval.edges.expand import variant_of
from fieldeval.edges.variant import Variant
from fieldeval.grading.edge_grading import EdgeGradingReport, ProgressHandler, grade_edges
from fieldeval.store import Store
from fieldeval.store.records import StoredExample
from fieldeval.suite.loader import LoadedSuite


def stored_variants(examples: list[StoredExample]) -> list[Variant]:
    """The variants among a run's examples, in dataset order."""
    found = (variant_of(example.input, example.fields) for example in examples)
    return [variant for variant in found if variant is not None]


def grade_run_edges(
    store: Store,
    loaded: LoadedSuite,
    run_id: str,
    *,
    judge: bool = True,
    on_progress: ProgressHandler | None = None,
) -> EdgeGradingReport:
    """Grade (or grade again) every reply to an edge case in the run, storing the outcomes."""
    return asyncio.run(
        grade_run_edges_async(store, loaded, run_id, judge=judge, on_progress=on_progress)
    )


async def grade_run_edges_async(
    store: Store,
    loaded: LoadedSuite,
    run_id: str,
    *,
    judge: bool = True,
    on_progress: ProgressHandler | None = None,
) -> EdgeGradingReport:
    run = store.run(run_id)
    variants = stored_variants(store.examples(run.dataset_hash))
    if not judge and loaded.suite.judge is not None:
        # The same suite without its judge: only the deterministic oracles decide.
        loaded = dataclasses.replace(loaded, suite=loaded.suite.model_copy(update={"judge": None}))
    return await grade_edges(store, loaded, run_id, variants, on_progress=on_progress)


def has_edges(store: Store, run_id: str) -> bool:
    """The run's dataset holds edge-case variants."""
    run = store.run(run_id)
    return bool(stored_variants(store.examples(run.dataset_hash)))
