"""`Background`: heavy analyses computed by one worker thread, never on a request.

A page that needs an analysis not cached yet asks for it here and is told how far it is
(`Pending`) instead of waiting seconds. One worker computes one analysis at a time: on a
small machine two at once would only share the processor (Python runs one thread at a
time) and finish later each. What a page asked for goes before what start-up queued ahead
of time. An analysis is queued once per family however often it is asked; asked again at
another version (a new grade), the queued one takes the new version instead of being
computed twice. The worker computes through `AnalysisCache.get`, so a request that chose to
wait (`?wait=1`) for the same version shares the one computation.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import TypeVar, cast

from fieldeval.web.cache import AnalysisCache

T = TypeVar("T")


@dataclass(frozen=True)
class Pending:
    """An analysis not ready yet: queued, or being computed."""

    queued_s: float  # seconds since it was queued
    running_s: float | None  # seconds since the worker started it; None while queued
    ahead: int  # analyses the worker does before it (the one it is doing included)


@dataclass
class _Job:
    family: Hashable
    version: Hashable
    compute: Callable[[], object]
    queued: float  # time.monotonic()
    order: tuple[int, int]  # (0 asked by a page, 1 queued ahead of time; first come first)
    started: float | None = None


class Background:
    def __init__(self, cache: AnalysisCache) -> None:
        self.cache = cache
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._queued: dict[Hashable, _Job] = {}  # by family
        self._running: _Job | None = None
        self._failed: dict[Hashable, tuple[Hashable, Exception]] = {}  # family: (version, error)
        self._numbers = itertools.count()
        self._worker: threading.Thread | None = None

    def ask(
        self, family: Hashable, version: Hashable, compute: Callable[[], T], *, urgent: bool = True
    ) -> T | Pending:
        """The value of `family` at `version` if cached; else queue it and say how far it is.

        `urgent`: a reader is waiting for it (a page), so it goes before analyses queued
        ahead of time. If computing this version failed, the error is raised here, once: the
        page that asks next shows it, and the one after that tries again.
        """
        found, value = self.cache.peek(family, version)
        if found:
            return cast(T, value)
        now = time.monotonic()
        with self._lock:
            failed = self._failed.pop(family, None)
            if failed is not None and failed[0] == version:
                raise failed[1]
            # Looked at again under the lock: the worker may have finished since.
            found, value = self.cache.peek(family, version)
            if found:
                return cast(T, value)
            running = self._running
            if running is not None and (running.family, running.version) == (family, version):
                assert running.started is not None
                return Pending(now - running.queued, now - running.started, 0)
            job = self._queued.get(family)
            if job is None:
                job = _Job(family, version, compute, now, (int(not urgent), next(self._numbers)))
                self._queued[family] = job
                self._start_worker()
                self._changed.notify()
            elif job.version != version:  # what it reads changed while it waited
                job.version, job.compute = version, compute
            if urgent and job.order[0] != 0:  # from now on, behind what readers asked before
                job.order = (0, next(self._numbers))
            ahead = sum(other.order < job.order for other in self._queued.values())
            return Pending(now - job.queued, None, ahead + (running is not None))

    def _start_worker(self) -> None:
        if self._worker is None:
            self._worker = threading.Thread(target=self._work, name="analyses", daemon=True)
            self._worker.start()

    def _work(self) -> None:
        while True:
            with self._changed:
                while not self._queued:
                    self._changed.wait()
                job = min(self._queued.values(), key=lambda queued: queued.order)
                del self._queued[job.family]
                job.started = time.monotonic()
                self._running = job
            try:
                self.cache.get(job.family, job.version, job.compute)
            # Whatever it raises, the worker must go on with the next analysis; the page that
            # asked for this one shows the error.
            except Exception as error:
                with self._lock:
                    self._failed[job.family] = (job.version, error)
            finally:
                with self._lock:
                    self._running = None
