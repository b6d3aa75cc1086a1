"""The dry run: what `evaluate` would send and what it would cost, calling no model."""

from __future__ import annotations

from typing import TYPE_CHECKING, Unpack

if TYPE_CHECKING:
    from fieldeval.cost.estimate import RunEstimate
    from fieldeval.pipeline.preparation import SuiteSource
    from fieldeval.pipeline.run import RunOptions


def estimate(suite: SuiteSource, **options: Unpack[RunOptions]) -> RunEstimate:
    """Calls, tokens and dollars of the run `evaluate` would make with the same arguments.

    The same examples are chosen; edge cases that need the translator use only its cached
    answers. Nothing is stored and no model is called. The defaults are `evaluate_async`'s.
    """
    from fieldeval.cost.estimate import estimate_run
    from fieldeval.pipeline.observer import Observer
    from fieldeval.pipeline.preparation import Sampling, prepare
    from fieldeval.store import Store

    given = options.get("store")
    store = Store.open(options.get("db")) if given is None else given
    try:
        prepared = prepare(
            suite,
            store,
            sampling=Sampling(
                options.get("sample"), options.get("stratify"), options.get("seed", 0)
            ),
            resume=options.get("resume", False),
            edges=options.get("edges", True),
            offline=True,
            observer=options.get("observer") or Observer(),
        )
        return estimate_run(
            prepared.loaded,
            store,
            prepared.dataset,
            repeats=options.get("repeats", 1),
            use_cache=options.get("use_cache", True),
            resume=prepared.previous,
            judge=options.get("judge", True),
        )
    finally:
        if given is None:
            store.close()
