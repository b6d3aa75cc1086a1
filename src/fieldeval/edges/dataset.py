"""The dataset a suite with `edges:` runs on: its examples, then their edge-case variants."""

from __future__ import annotations

from dataclasses import dataclass

from fieldeval.edges.expand import Fitting, expand, fitting, needs_rewrite
from fieldeval.edges.rewrite import Rewriter
from fieldeval.records.example import Dataset
from fieldeval.store import Store
from fieldeval.suite.loader import LoadedSuite


@dataclass(frozen=True)
class Expansion:
    """The expanded dataset, and what the translator did for it."""

    dataset: Dataset
    variants: int  # examples added
    rewrites_called: int = 0
    rewrites_cached: int = 0
    rewrites_missing: int = 0  # offline: texts not rewritten, as nothing was cached
    fitting: Fitting | None = None  # the task's kind and the generators that fit it


def with_edges(
    loaded: LoadedSuite, store: Store, dataset: Dataset, *, offline: bool = False
) -> Expansion:
    """`dataset` and the variants the suite's `edges:` asks for (none without it).

    Generators that rewrite text ask the suite's translator, cached in `store`; with
    `offline` they only use what is cached (a dry run calls no model). Call it where no
    event loop is running (from async code: `asyncio.to_thread`).
    """
    suite = loaded.suite
    if suite.edges is None:
        return Expansion(dataset, 0)
    fitted = fitting(suite, dataset)
    if not needs_rewrite(suite):
        expanded = expand(dataset, suite)
        return Expansion(expanded, len(expanded) - len(dataset), fitting=fitted)
    with Rewriter(loaded, store, offline=offline) as rewriter:
        expanded = expand(dataset, suite, rewrite=rewriter)
    return Expansion(
        expanded,
        len(expanded) - len(dataset),
        rewrites_called=rewriter.calls,
        rewrites_cached=rewriter.cached,
        rewrites_missing=rewriter.missing,
        fitting=fitted,
    )
