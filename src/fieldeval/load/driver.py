"""Sending the load: closed loop (N users) or open loop (an arrival schedule), by level.

Two rules keep the numbers honest:

* No retries. A retried request hides the failure and the latency its user saw, so every
  attempt is one record and a failure is recorded with its kind.
* Nothing is dropped. After the level's end, requests still in flight get `GRACE_S` to
  finish; those that do not are cancelled and recorded as `timeout` errors, and an open-loop
  arrival still queued at the concurrency cap is recorded as a `timeout` that was never sent
  (its `sent_s` is when it gave up, so `wait_s` is how long it queued).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence

from fieldeval.errors import ErrorKind, ProviderError
from fieldeval.load.schedule import arrival_times
from fieldeval.providers.base import Provider
from fieldeval.records.completion import Completion
from fieldeval.records.load import Level, LevelRun, Phase, RequestRecord
from fieldeval.records.request import ModelRequest
from fieldeval.suite.load import Load

GRACE_S = 30.0  # as aiperf's default grace period; a slower request is a timeout to its user
LAG_PROBE_S = 0.010  # the lag probe's sleep; its oversleep is the event loop's lag


async def run_level(
    provider: Provider,
    requests: Sequence[ModelRequest],
    level: Level,
    spec: Load,
    *,
    clock_origin: float,
    worker: str = "main",
    start_s: float | None = None,
) -> LevelRun:
    """Drive one level for warmup + duration + cooldown and return every request's record.

    `requests` are cycled through in order (seeded shuffle upstream). `clock_origin` is the
    `time.perf_counter()` value that is 0 on the test clock. The provider's connection pool
    must allow the level's concurrency, or its queue hides inside the measured latency.
    `client_lag_ms` holds the lag probe's oversleeps and, in open loop, how late the
    scheduler released each arrival. `ended_s` is when the last request was settled.

    `start_s` is the instant on the test clock the level was meant to begin (default: now),
    so that workers given one instant share one schedule. A client that wakes after it is
    behind, and its lateness is a client-lag sample like any other. An open-loop schedule
    stays on `start_s` (the offered load was fixed in advance; overdue arrivals go at once);
    closed-loop users can only begin once the client is up, so their level begins then.
    """
    if not requests:
        raise ValueError("a load level needs at least one request")
    span_s = spec.warmup_s + spec.duration_s + spec.cooldown_s
    offsets = _offsets(level, spec, span_s)
    cpu_start, wall_start = time.process_time(), time.perf_counter()
    now_s = time.perf_counter() - clock_origin
    begin_s = now_s if start_s is None else start_s
    if level.mode == "closed":
        begin_s = max(begin_s, now_s)
    sender = _Sender(provider, requests, level, spec, clock_origin, worker, begin_s)
    end_s = sender.started_s + span_s
    lag_ms: list[float] = []
    if start_s is not None:
        lag_ms.append(max(0.0, now_s - start_s) * 1000)
    probe = asyncio.create_task(_probe_lag(lag_ms))
    try:
        if level.mode == "closed":
            await _closed_loop(sender, _users(level), spec.think_time_s, spec.ramp_s, end_s)
        else:
            arrivals = [sender.started_s + offset for offset in offsets]
            await _open_loop(sender, arrivals, level.max_concurrency, lag_ms)
            await sleep_until(sender.now, end_s)
        await sender.drain(GRACE_S)
    finally:
        probe.cancel()
        await sender.cancel_all()
        await asyncio.gather(probe, return_exceptions=True)
    wall = time.perf_counter() - wall_start
    return LevelRun(
        level=level,
        records=sender.records,
        started_s=sender.started_s,
        steady_start_s=sender.steady_start_s,
        steady_end_s=sender.steady_end_s,
        ended_s=sender.now(),
        client_lag_ms=lag_ms,
        client_cpu_fraction=(time.process_time() - cpu_start) / wall if wall > 0 else 0.0,
    )


def _users(level: Level) -> int:
    if level.users is None or level.users < 1:
        raise ValueError(f"closed-loop level {level.index} needs at least one user")
    return level.users


def _offsets(level: Level, spec: Load, span_s: float) -> list[float]:
    if level.mode == "closed":
        return []
    if spec.replay is not None:
        return list(spec.replay.arrivals_s)  # production's own times, scaled
    if level.rate is None:
        raise ValueError(f"open-loop level {level.index} needs a rate")
    # Seeded per level, so levels do not replay one sequence of gaps at different scales.
    return arrival_times(
        spec.arrival,
        level.rate,
        span_s,
        burstiness=spec.burstiness,
        seed=(spec.seed, level.index),
        ramp_s=spec.ramp_s,
    )


async def _closed_loop(
    sender: _Sender, users: int, think_time_s: float, ramp_s: float, end_s: float
) -> None:
    """`users` loops of send, wait for the answer, think; none starts a request after `end_s`.

    User k of N starts k/N·`ramp_s` after the level's start, so the load rises linearly.
    """

    async def user(k: int) -> None:
        await sleep_until(sender.now, sender.started_s + k * ramp_s / users)
        while sender.now() < end_s:
            # Shielded: stopping the user at the end must not cancel its request in flight.
            await asyncio.shield(sender.launch(None, None))
            if think_time_s:
                await asyncio.sleep(think_time_s)

    tasks = [asyncio.create_task(user(k)) for k in range(users)]
    try:
        done, _ = await asyncio.wait(
            tasks, timeout=max(0.0, end_s - sender.now()), return_when=asyncio.FIRST_EXCEPTION
        )
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    for task in done:
        task.result()  # a provider that broke its contract (raised past ProviderError)


async def _open_loop(
    sender: _Sender, arrivals: Sequence[float], cap: int | None, lag_ms: list[float]
) -> None:
    """Release each arrival at its time, whether or not earlier ones have been answered."""
    gate = None if cap is None else asyncio.Semaphore(cap)
    for intended in arrivals:
        await sleep_until(sender.now, intended)
        lag_ms.append(max(0.0, sender.now() - intended) * 1000)
        sender.raise_failure()
        sender.launch(intended, gate)


async def sleep_until(clock: Callable[[], float], at_s: float) -> None:
    """Sleep until `clock()` reads `at_s`. One sleep is not enough: uvloop's timers keep
    milliseconds, so a sleep of 2.4 ms may end after 2 ms, and a request released then
    would be sent before its intended time."""
    while (delay := at_s - clock()) > 0:
        await asyncio.sleep(delay)


async def _probe_lag(samples: list[float]) -> None:
    """Sleep briefly, forever; each sleep's overshoot is how late the event loop runs."""
    while True:
        before = time.perf_counter()
        await asyncio.sleep(LAG_PROBE_S)
        samples.append(max(0.0, time.perf_counter() - before - LAG_PROBE_S) * 1000)


class _Sender:
    """Sends requests as tasks, records each one, and settles those still in flight."""

    def __init__(
        self,
        provider: Provider,
        requests: Sequence[ModelRequest],
        level: Level,
        spec: Load,
        clock_origin: float,
        worker: str,
        started_s: float,
    ) -> None:
        self.provider = provider
        self.requests = requests
        self.level = level
        self.worker = worker
        self.clock_origin = clock_origin
        self.records: list[RequestRecord] = []
        self.started_s = started_s
        # Absolute bounds, so an arrival at exactly warmup_s falls in the same phase every time.
        self.steady_start_s = self.started_s + spec.warmup_s
        self.steady_end_s = self.steady_start_s + spec.duration_s
        self._in_flight: set[asyncio.Task[None]] = set()
        self._failure: BaseException | None = None

    def now(self) -> float:
        return time.perf_counter() - self.clock_origin

    def phase(self, at_s: float) -> Phase:
        if at_s < self.steady_start_s:
            return "warmup"
        return "steady" if at_s < self.steady_end_s else "cooldown"

    def launch(
        self, intended_s: float | None, gate: asyncio.Semaphore | None
    ) -> asyncio.Task[None]:
        task = asyncio.create_task(self._send(intended_s, gate))
        self._in_flight.add(task)
        task.add_done_callback(self._settled)
        return task

    async def drain(self, grace_s: float) -> None:
        """Give requests in flight `grace_s` to finish, then cancel (and so record) the rest."""
        if self._in_flight:
            await asyncio.wait(set(self._in_flight), timeout=grace_s)
        await self.cancel_all()
        self.raise_failure()

    async def cancel_all(self) -> None:
        tasks = set(self._in_flight)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def raise_failure(self) -> None:
        if self._failure is not None:
            raise self._failure

    def _settled(self, task: asyncio.Task[None]) -> None:
        self._in_flight.discard(task)
        if not task.cancelled() and task.exception() is not None and self._failure is None:
            self._failure = task.exception()

    async def _send(self, intended_s: float | None, gate: asyncio.Semaphore | None) -> None:
        if gate is None:
            await self._measure(intended_s)
            return
        try:
            await gate.acquire()
        except asyncio.CancelledError:
            self._record_unsent(intended_s)
            raise
        try:
            await self._measure(intended_s)
        finally:
            gate.release()

    async def _measure(self, intended_s: float | None) -> None:
        seq = len(self.records)
        request = self.requests[seq % len(self.requests)]
        sent_s = self.now()  # after any wait at the cap: wait_s is intended -> sent
        record = RequestRecord(
            level=self.level.index,
            worker=self.worker,
            seq=seq,
            phase=self.phase(sent_s if intended_s is None else intended_s),
            intended_s=intended_s,
            sent_s=sent_s,
        )
        self.records.append(record)  # now, so a request cancelled later is still counted
        try:
            completion = await self.provider.complete(request)
        except ProviderError as error:
            record.error_kind = error.kind.value
            record.end_s = self.now()
            return
        except asyncio.CancelledError:
            record.error_kind = ErrorKind.TIMEOUT.value
            record.end_s = self.now()
            raise
        _fill(record, completion, self.now())

    def _record_unsent(self, intended_s: float | None) -> None:
        gave_up_s = self.now()
        self.records.append(
            RequestRecord(
                level=self.level.index,
                worker=self.worker,
                seq=len(self.records),
                phase=self.phase(gave_up_s if intended_s is None else intended_s),
                intended_s=intended_s,
                sent_s=gave_up_s,
                end_s=gave_up_s,
                error_kind=ErrorKind.TIMEOUT.value,
            )
        )


def _fill(record: RequestRecord, completion: Completion, now_s: float) -> None:
    """Move the completion's times (relative to its send) onto the test clock."""
    sent_s = record.sent_s
    if completion.first_byte_s is not None:
        record.first_byte_s = sent_s + completion.first_byte_s
    if completion.ttft_s is not None:
        record.first_token_s = sent_s + completion.ttft_s
    record.chunk_times_s = [sent_s + t for t in completion.chunk_times_s]
    record.end_s = now_s if completion.latency_s is None else sent_s + completion.latency_s
    record.input_tokens = completion.usage.input_tokens
    record.output_tokens = completion.usage.output_tokens
    record.tokens_estimated = completion.usage.estimated
