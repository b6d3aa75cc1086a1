"""The dry run: what `evaluate` would send and what it would cost, calling no model."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fieldeval.cost.estimate import RunEstimate
    from fieldeval.pipeline.observer import Observer
    from fieldeval.pipeline.preparation import SuiteSource


def estimate(
    suite: SuiteSource,
    *,
    db: str | None = None,
    sample: int | None = None,
    stratify: str | None = None,
    seed: int = 0,
    repeats: int = 1,
    resume: bool | str = False,
    use_cache: bool = True,
    judge: bool = True,
    edges: bool = True,
    observer: Observer | None = None,
) -> RunEstimate:
    """Calls, tokens and dollars of the run `evaluate` would make with the same arguments.

    The same examples are chosen; edge cases that need the translator use only its cached
    answers. Nothing is stored and no model is called.
    """
    from fieldeval.cost.estimate import estimate_run
    from fieldeval.pipeline.observer import Observer
    from fieldeval.pipeline.preparation import Sampling, prepare
    from fieldeval.store import Store

    store = Store.open(db)
    try:
        prepared = prepare(
            suite,
            store,
            sampling=Sampling(sample, stratify, seed),
            resume=resume,
            edges=edges,
            offline=True,
            observer=observer or Observer(),
        )
        return estimate_run(
            prepared.loaded,
            store,
            prepared.dataset,
            repeats=repeats,
            use_cache=use_cache,
            resume=prepared.previous,
            judge=judge,
        )
    finally:
        store.close()
