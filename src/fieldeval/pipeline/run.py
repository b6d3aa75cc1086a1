"""The front door's run: a suite evaluated end to end (`evaluate`), read back as an `Evaluation`.

The steps are those of `fieldeval run`, in one place: sample, resume, edge cases, run
(cache, retries), judge, edge grading. Importing this module is cheap: the store and runner
load when a suite is evaluated.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, TypedDict, Unpack

from fieldeval.errors import Interrupted
from fieldeval.pipeline.evaluation import Evaluation

if TYPE_CHECKING:
    from fieldeval.judge.grader import JudgeReport
    from fieldeval.pipeline.observer import Observer
    from fieldeval.pipeline.preparation import Prepared, SuiteSource
    from fieldeval.records.run import RunInfo
    from fieldeval.store import Store
    from fieldeval.suite.loader import LoadedSuite


class RunOptions(TypedDict, total=False):
    """`evaluate_async`'s keyword arguments, for callers that pass them on (`evaluate`, the CLI)."""

    db: str | None
    store: Store | None
    sample: int | None
    stratify: str | None
    seed: int
    repeats: int
    resume: bool | str
    use_cache: bool
    judge: bool
    edges: bool
    observer: Observer | None


def evaluate(suite: SuiteSource, **options: Unpack[RunOptions]) -> Evaluation:
    """Run a suite end to end and read the run back. See `evaluate_async`."""
    return asyncio.run(evaluate_async(suite, **options))


async def evaluate_async(
    suite: SuiteSource,
    *,
    db: str | None = None,
    store: Store | None = None,
    sample: int | None = None,
    stratify: str | None = None,
    seed: int = 0,
    repeats: int = 1,
    resume: bool | str = False,
    use_cache: bool = True,
    judge: bool = True,
    edges: bool = True,
    observer: Observer | None = None,
) -> Evaluation:
    """Sample, add edge cases, run every candidate, judge, grade the edge cases; read back.

    `suite` is a path or a loaded suite. `db` is a store URL or SQLite path (default
    .fieldeval/fieldeval.db), or pass an open `store` (left open). `resume` is True for the
    suite's latest run or a run id: only what it lacks is sent. Answers already in the store
    come from its cache unless `use_cache` is False. With `judge`, a suite whose judge runs
    `after_run` grades the outputs; with `edges`, the suite's `edges:` variants are run and
    graded too. A Ctrl-C keeps every finished result (`Interrupted`, exit 130).
    """
    from fieldeval.pipeline.observer import Observer
    from fieldeval.pipeline.preparation import Sampling, prepare
    from fieldeval.store import Store

    shown = observer or Observer()
    owned = store is None
    opened = Store.open(db) if store is None else store
    try:
        prepared = await asyncio.to_thread(
            prepare,
            suite,
            opened,
            sampling=Sampling(sample, stratify, seed),
            resume=resume,
            edges=edges,
            offline=False,
            observer=shown,
        )
        if sample is None:  # a sample lacks most ids on purpose: nothing to warn of
            for warning in await asyncio.to_thread(_candidate_warnings, prepared):
                shown.warned(warning)
        run = await _run(prepared, opened, repeats=repeats, use_cache=use_cache, observer=shown)
        report = None
        if judge and judges_after_run(prepared.loaded):
            report = await _judge(prepared.loaded, opened, run, shown)
        # One reading serves the summary and the result; a run with edge cases is read
        # again once they are graded, for their report.
        graded_next = prepared.expansion is not None
        result = await asyncio.to_thread(
            Evaluation.from_run, opened, run.id, judge_report=report, edges=not graded_next
        )
        shown.ran(opened, result)
        if graded_next:
            await _grade_edges(prepared.loaded, opened, run, judge=judge, observer=shown)
            result = await asyncio.to_thread(
                Evaluation.from_run, opened, run.id, judge_report=report
            )
        return result
    finally:
        if owned:
            opened.close()


def _candidate_warnings(prepared: Prepared) -> list[str]:
    """The candidates' own warnings on this dataset (outputs recorded for no example, a key
    variable not set), as `validate` gives them."""
    from fieldeval.providers import candidate_warnings

    loaded = prepared.loaded
    ids = [example.id for example in prepared.dataset.examples]
    return candidate_warnings(loaded.suite.candidates, base_dir=loaded.base_dir, example_ids=ids)


def judges_after_run(loaded: LoadedSuite) -> bool:
    """The suite has a judge that grades after the run, and a criterion for it."""
    return bool(loaded.suite.judged_criteria())


async def _run(
    prepared: Prepared, store: Store, *, repeats: int, use_cache: bool, observer: Observer
) -> RunInfo:
    from fieldeval.runner import run_suite_async
    from fieldeval.suite.loader import locate_template
    from fieldeval.suite.template import TemplateFailed

    try:
        with observer.running() as on_event:
            return await run_suite_async(
                prepared.loaded,
                store,
                dataset=prepared.dataset,
                resume=prepared.previous,
                repeats=repeats,
                use_cache=use_cache,
                on_event=on_event,
            )
    except TemplateFailed as error:  # raised before any call: nothing was sent or stored
        raise locate_template(prepared.loaded, error) from error
    except (KeyboardInterrupt, asyncio.CancelledError):
        raise Interrupted(
            "every finished result is stored",
            hint=f"continue with `fieldeval run {prepared.loaded.path} --resume`",
        ) from None


async def _judge(
    loaded: LoadedSuite, store: Store, run: RunInfo, observer: Observer
) -> JudgeReport:
    from fieldeval.judge.grader import judge_outputs

    try:
        with observer.judging() as on_progress:
            report = await judge_outputs(store, loaded, run.id, on_progress=on_progress)
    except (KeyboardInterrupt, asyncio.CancelledError):
        raise Interrupted(
            "every grade given so far is stored", hint="run the same command to finish"
        ) from None
    observer.judged(report)
    return report


async def _grade_edges(
    loaded: LoadedSuite, store: Store, run: RunInfo, *, judge: bool, observer: Observer
) -> None:
    from fieldeval.edges.run_grading import grade_run_edges_async, has_edges

    if not has_edges(store, run.id):
        return
    after_run = loaded.suite.judge is not None and loaded.suite.judge.after_run
    try:
        with observer.grading_edges() as on_progress:
            report = await grade_run_edges_async(
                store, loaded, run.id, judge=judge and after_run, on_progress=on_progress
            )
    except (KeyboardInterrupt, asyncio.CancelledError):
        raise Interrupted(
            "every outcome graded so far is stored", hint="run `fieldeval edges` again to finish"
        ) from None
    observer.edges_graded(store, run, report)
