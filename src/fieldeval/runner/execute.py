"""Running a suite: every candidate on every example, checked and stored as it finishes."""

from __future__ import annotations

import asyncio
import contextlib
import random
import secrets
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

from fieldeval.canonical import content_hash
from fieldeval.checks import CompiledCheck, compile_checks, render_templates, run_checks
from fieldeval.data.dataset import load_dataset
from fieldeval.errors import FieldevalError, ProviderError, SuiteError
from fieldeval.providers import create_provider
from fieldeval.providers import providers as provider_kinds
from fieldeval.providers.base import Provider
from fieldeval.providers.limits import RateLimiter
from fieldeval.providers.price_table import price_for
from fieldeval.providers.retry import backoff_s
from fieldeval.records.completion import Completion
from fieldeval.records.example import Dataset
from fieldeval.records.run import OutputKey, OutputRecord, RunInfo
from fieldeval.runner.events import EventHandler, OutputFinished, Retrying, RunFinished, RunStarted
from fieldeval.runner.plan import WorkItem, plan_work
from fieldeval.store import Store
from fieldeval.suite.candidates import CandidateBase
from fieldeval.suite.loader import LoadedSuite
from fieldeval.version import __version__

_STOP = None


def new_run_id() -> str:
    """Sortable by start time, unique enough to type a prefix of."""
    return f"{datetime.now(UTC):%Y%m%d-%H%M%S}-{secrets.token_hex(3)}"


def run_suite(
    loaded: LoadedSuite,
    store: Store,
    *,
    dataset: Dataset | None = None,
    resume: RunInfo | None = None,
    repeats: int = 1,
    use_cache: bool = True,
    on_event: EventHandler | None = None,
) -> RunInfo:
    """Run a suite to the end and return the stored run. See `run_suite_async`."""
    return asyncio.run(
        run_suite_async(
            loaded,
            store,
            dataset=dataset,
            resume=resume,
            repeats=repeats,
            use_cache=use_cache,
            on_event=on_event,
        )
    )


async def run_suite_async(
    loaded: LoadedSuite,
    store: Store,
    *,
    dataset: Dataset | None = None,
    resume: RunInfo | None = None,
    repeats: int = 1,
    use_cache: bool = True,
    on_event: EventHandler | None = None,
) -> RunInfo:
    """Run every candidate on every example; each result is stored as it finishes.

    With `resume`, only what that run is missing (or got an error for) is sent. With
    `use_cache`, an identical earlier request is answered from the store at no cost.
    A failed call is stored as an error after its retries; it never stops the run.

    Without `dataset`, the suite's own is read as it is: sampling and edge-case variants
    are the pipeline's (`fieldeval.evaluate`).
    """
    suite = loaded.suite
    if dataset is None:
        dataset = load_dataset(suite.dataset, base_dir=loaded.base_dir)
    checks = compile_checks(suite.checks, base_dir=loaded.base_dir)
    render_templates(checks, dataset.examples)  # a template that fails, fails before any call
    providers = {c.id: create_provider(c, base_dir=loaded.base_dir) for c in suite.candidates}
    try:
        plan = plan_work(suite, dataset, providers, repeats=repeats)
        for candidate in suite.candidates:
            entry = provider_kinds()[candidate.provider]
            entry.render_requests(candidate, (item.request for item in plan[candidate.id]))
        execution = _Execution(loaded, store, dataset, plan, providers, checks, on_event)
        return await execution.run(resume=resume, repeats=repeats, use_cache=use_cache)
    finally:
        for provider in providers.values():
            await provider.aclose()


class _Execution:
    """One run in progress: its plan, its providers, and a writer storing results as they come."""

    def __init__(
        self,
        loaded: LoadedSuite,
        store: Store,
        dataset: Dataset,
        plan: dict[str, list[WorkItem]],
        providers: dict[str, Provider],
        checks: Sequence[CompiledCheck],
        on_event: EventHandler | None,
    ) -> None:
        self.loaded = loaded
        self.store = store
        self.dataset = dataset
        self.plan = plan
        self.providers = providers
        self.checks = checks
        self.emit = on_event or (lambda event: None)
        self.queue: asyncio.Queue[OutputRecord | None] = asyncio.Queue()
        self.rng = random.Random()
        self.run_id = ""
        self.resumed = False  # only a resumed run can hold outputs that a result replaces

    async def run(self, *, resume: RunInfo | None, repeats: int, use_cache: bool) -> RunInfo:
        done: set[OutputKey] = set()
        if resume is None:
            self.run_id = self._create_run(repeats)
        else:
            self._check_resumable(resume, repeats)
            self.run_id = resume.id
            self.resumed = True
            self.store.set_status(self.run_id, "running")
            done = self.store.answered_keys(self.run_id)
            self.plan = {
                c: [i for i in items if i.key not in done] for c, items in self.plan.items()
            }
        self.emit(
            RunStarted(
                run_id=self.run_id,
                resumed=resume is not None,
                planned={c: len(items) for c, items in self.plan.items()},
                already_done=len(done),
            )
        )
        status = "interrupted"
        writer = asyncio.create_task(self._write())
        try:
            cached = self.store.cached(i.request_hash for i in self._items()) if use_cache else {}
            for item in self._items():
                if item.request_hash in cached:
                    self._finish(item, cached[item.request_hash], attempts=0, from_cache=True)
            try:
                async with asyncio.TaskGroup() as group:
                    for candidate in self.loaded.suite.candidates:
                        todo = iter(
                            [i for i in self.plan[candidate.id] if i.request_hash not in cached]
                        )
                        limiter = _limiter(candidate)
                        for _ in range(candidate.concurrency):
                            group.create_task(self._work(candidate, todo, limiter))
            except* FieldevalError as stopped:
                # A provider that raises fieldeval's own error (a plugin's bad config) stops
                # the run with that message and exit code, not an exception group's traceback.
                raise stopped.exceptions[0] from None
            status = "finished"
        finally:
            await self._drain(writer)
            self.store.set_status(self.run_id, status)
            self.emit(RunFinished(self.run_id, status))
        return self.store.run(self.run_id)

    def _items(self) -> Iterator[WorkItem]:
        for items in self.plan.values():
            yield from items

    def _create_run(self, repeats: int) -> str:
        suite = self.loaded.suite
        self.store.save_dataset(self.dataset)
        run = RunInfo(
            id=new_run_id(),
            suite_name=suite.task.name,
            suite_path=str(self.loaded.path),
            suite_hash=self.loaded.suite_hash,
            suite=suite.model_dump(mode="json"),
            dataset_hash=self.dataset.content_hash,
            status="running",
            repeats=repeats,
            n_planned=sum(len(items) for items in self.plan.values()),
            fieldeval_version=__version__,
            started_at=datetime.now(UTC),
            finished_at=None,
        )
        configs = []
        prices: dict[str, dict[str, Any] | None] = {}
        for candidate in suite.candidates:
            config = candidate.model_dump(mode="json")
            configs.append((candidate.id, config, content_hash(config)))
            # Kept with the run: its cost must not change when the bundled table does.
            snapshot = price_for(candidate)
            prices[candidate.id] = None if snapshot is None else snapshot.to_dict()
        self.store.create_run(run, configs, prices)
        return run.id

    def _check_resumable(self, run: RunInfo, repeats: int) -> None:
        if run.suite_hash != self.loaded.suite_hash:
            raise SuiteError(
                f"run {run.id} was made with a different version of this suite",
                hint="start a new run (drop --resume); the cache still saves repeated calls",
            )
        if run.dataset_hash != self.dataset.content_hash:
            raise SuiteError(
                f"run {run.id} was made on other data ({run.dataset_hash[:17]}…)",
                hint="resume with the same dataset and sample options, or start a new run",
            )
        if run.repeats != repeats:
            raise SuiteError(f"run {run.id} was made with --repeat {run.repeats}")

    async def _work(
        self, candidate: CandidateBase, todo: Iterator[WorkItem], limiter: RateLimiter | None
    ) -> None:
        provider = self.providers[candidate.id]
        for item in todo:  # workers share one iterator: each item is taken once
            if limiter is not None:
                await limiter.acquire(item.estimated_tokens)
            await self._call(candidate, provider, item)

    async def _call(self, candidate: CandidateBase, provider: Provider, item: WorkItem) -> None:
        policy = candidate.retry
        for attempt in range(1, policy.attempts + 1):
            try:
                # Every provider enforces the candidate's timeout_s and raises ProviderError.
                completion = await provider.complete(item.request)
            except ProviderError as raised:
                error = raised
            else:
                self._finish(item, completion, attempts=attempt, from_cache=False)
                return
            if not error.retryable or attempt == policy.attempts:
                self._fail(item, error, attempts=attempt)
                return
            wait = backoff_s(policy, attempt, error, self.rng)
            self.emit(Retrying(candidate.id, item.key.example_id, attempt, wait, str(error)))
            await asyncio.sleep(wait)

    def _finish(
        self, item: WorkItem, completion: Completion, *, attempts: int, from_cache: bool
    ) -> None:
        results = run_checks(self.checks, completion.text, item.example, item.key.candidate_id)
        record = OutputRecord(
            key=item.key,
            request_hash=item.request_hash,
            completion=completion,
            checks=results,
            attempts=attempts,
            from_cache=from_cache,
        )
        self.queue.put_nowait(record)
        self.emit(
            OutputFinished(
                item.key.candidate_id,
                item.key.example_id,
                ok=True,
                passed=not any(r.fails_output for r in results),
                from_cache=from_cache,
                attempts=attempts,
            )
        )

    def _fail(self, item: WorkItem, error: ProviderError, *, attempts: int) -> None:
        record = OutputRecord(
            key=item.key,
            request_hash=item.request_hash,
            completion=None,
            error_kind=error.kind,
            error_message=str(error),
            attempts=attempts,
        )
        self.queue.put_nowait(record)
        self.emit(
            OutputFinished(
                item.key.candidate_id,
                item.key.example_id,
                ok=False,
                passed=False,
                from_cache=False,
                attempts=attempts,
            )
        )

    async def _write(self) -> None:
        """Commit results as they arrive, a batch at a time, off the event loop."""
        while True:
            record = await self.queue.get()
            batch = [record]
            while not self.queue.empty():
                batch.append(self.queue.get_nowait())
            records = [r for r in batch if r is not None]
            await asyncio.to_thread(self._save, records)
            if _STOP in batch:
                return

    def _save(self, records: list[OutputRecord]) -> None:
        self.store.save_outputs(self.run_id, records, replace=self.resumed)

    async def _drain(self, writer: asyncio.Task[None]) -> None:
        """Store everything finished, even when the run was interrupted."""
        self.queue.put_nowait(_STOP)
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.shield(writer)
        leftover = []
        while not self.queue.empty():
            record = self.queue.get_nowait()
            if record is not None:
                leftover.append(record)
        if leftover:
            self._save(leftover)


def _limiter(candidate: CandidateBase) -> RateLimiter | None:
    limit = candidate.rate_limit
    if limit is None or (limit.rpm is None and limit.tpm is None):
        return None
    return RateLimiter(limit.rpm, limit.tpm)
