"""A conversation replayed turn by turn, with the suite's checks on the reply to each turn.

Protocol ("fixed history"): at user turn k the candidate is sent the system message and
the conversation's own messages up to and including its k-th user message. The earlier
assistant turns are the conversation's (the data's), never the candidate's own earlier
replies, so every turn is asked the same thing whoever answers, and a turn's reply does
not depend on what the candidate said before. Only some turns are checked, to bound the
cost: every `every`-th user turn and the last (calls = conversations × checked turns).

An example is replayed when the request the run sends for it holds two user messages or
more: a `long_conversation` edge case (earlier turns as prefix messages, then the prompt)
or a suite whose prompt is a `conversation:` (a chat-log field). Repeat 0 only.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from fieldeval.checks import CompiledCheck, compile_checks, run_checks
from fieldeval.errors import ProviderError
from fieldeval.providers import create_provider
from fieldeval.providers.base import Provider
from fieldeval.providers.limits import RateLimiter
from fieldeval.providers.retry import backoff_s
from fieldeval.records.example import Example
from fieldeval.records.request import Message, ModelRequest
from fieldeval.records.run import StoredExample
from fieldeval.runner.plan import request_for
from fieldeval.store import Store
from fieldeval.store.turn_store import StoredTurn, TurnStore
from fieldeval.suite.candidates import CandidateBase
from fieldeval.suite.loader import LoadedSuite

DEFAULT_EVERY = 5


@dataclass(frozen=True)
class TurnCall:
    """One checked turn to send: its example, its 1-based turn, the messages up to it."""

    example: Example
    turn: int
    messages: tuple[Message, ...]


@dataclass(frozen=True)
class TurnReplay:
    """What a replay did: conversations found, turn calls made, skipped (stored), failed."""

    conversations: int
    calls: int
    stored: int
    failed: int


def checked_turns(users: int, every: int = DEFAULT_EVERY) -> list[int]:
    """The 1-based user turns checked out of `users`: every `every`-th, and the last."""
    if users < 1:
        return []
    step = max(1, every)
    return sorted({*range(step, users + 1, step), users})


def turn_calls(messages: Sequence[Message], example: Example, every: int) -> list[TurnCall]:
    """The checked turns of one request: its system message(s), then history up to turn k.

    [] when the request holds fewer than two user messages (nothing to replay).
    """
    users = [i for i, m in enumerate(messages) if m.role == "user"]
    if len(users) < 2:
        return []
    return [
        TurnCall(example, k, tuple(messages[: users[k - 1] + 1]))
        for k in checked_turns(len(users), every)
    ]


def stored_example(row: StoredExample) -> Example:
    """A stored example as the runner built it, its edge-case prefix messages included."""
    prefix = row.fields.get("edge_prefix")
    messages = tuple(dict(m) for m in prefix) if isinstance(prefix, list) else ()
    return Example(
        id=row.id,
        fields=row.fields,
        input=row.input,
        reference=row.reference,
        slices=row.slices,
        prefix_messages=messages,
    )


def replay_turns(
    loaded: LoadedSuite,
    store: Store,
    run_id: str,
    *,
    every: int = DEFAULT_EVERY,
    limit: int | None = None,
    on_progress: Callable[[int, int], None] | None = None,
) -> TurnReplay:
    """Replay the run's conversations turn by turn for each candidate; store every turn.

    Turns already stored without an error are not sent again. `limit` caps the
    conversations replayed (dataset order). Call it where no event loop is running.
    """
    return asyncio.run(
        _replay(loaded, store, run_id, every=every, limit=limit, on_progress=on_progress)
    )


async def _replay(
    loaded: LoadedSuite,
    store: Store,
    run_id: str,
    *,
    every: int,
    limit: int | None,
    on_progress: Callable[[int, int], None] | None,
) -> TurnReplay:
    suite = loaded.suite
    run = store.run(run_id)
    examples = [stored_example(row) for row in store.examples(run.dataset_hash)]
    checks = compile_checks(suite.checks, base_dir=loaded.base_dir)
    turns = TurnStore(store)
    done = {row.key for row in turns.turns(run_id) if row.ok}
    candidates = [c for c in suite.candidates if c.id in run.candidates]
    work: dict[str, list[TurnCall]] = {}
    conversations: set[str] = set()
    for candidate in candidates:
        calls: list[TurnCall] = []
        for example in examples:
            request = request_for(suite, candidate, example)
            found = turn_calls(request.messages, example, every)
            if found and (
                limit is None or example.id in conversations or len(conversations) < limit
            ):
                conversations.add(example.id)
                calls.extend(found)
        work[candidate.id] = [
            c for c in calls if (run_id, candidate.id, c.example.id, 0, c.turn) not in done
        ]
    total = sum(len(calls) for calls in work.values())
    replay = _Replay(run_id, checks, turns, total, on_progress)
    for candidate in candidates:
        provider = create_provider(candidate, base_dir=loaded.base_dir)
        try:
            await replay.candidate(candidate, provider, work[candidate.id])
        finally:
            await provider.aclose()
    return TurnReplay(len(conversations), replay.calls, len(done), replay.failed)


class _Replay:
    def __init__(
        self,
        run_id: str,
        checks: Sequence[CompiledCheck],
        store: TurnStore,
        total: int,
        on_progress: Callable[[int, int], None] | None,
    ) -> None:
        self.run_id, self.checks, self.store, self.total = run_id, checks, store, total
        self.on_progress = on_progress
        self.calls = self.failed = 0
        self.rng = random.Random()

    async def candidate(
        self, candidate: CandidateBase, provider: Provider, calls: Iterable[TurnCall]
    ) -> None:
        """Send `calls` with the candidate's concurrency, rate limit and retries."""
        todo = iter(calls)  # workers share one iterator: each call is taken once
        limit = candidate.rate_limit
        limiter = (
            RateLimiter(limit.rpm, limit.tpm)
            if limit is not None and (limit.rpm is not None or limit.tpm is not None)
            else None
        )
        async with asyncio.TaskGroup() as group:
            for _ in range(candidate.concurrency):
                group.create_task(self._work(candidate, provider, todo, limiter))

    async def _work(
        self,
        candidate: CandidateBase,
        provider: Provider,
        todo: Iterable[TurnCall],
        limiter: RateLimiter | None,
    ) -> None:
        for call in todo:
            request = ModelRequest(
                messages=call.messages,
                params=dict(candidate.params),
                variables={**call.example.fields, "id": call.example.id},
            )
            if limiter is not None:
                chars = sum(len(m.content) for m in call.messages)
                await limiter.acquire(chars // 4 + int(candidate.params.get("max_tokens", 256)))
            row = await self._send(candidate, provider, request, call)
            await asyncio.to_thread(self.store.save_turns, [row])
            self.calls += 1
            self.failed += not row.ok
            if self.on_progress is not None:
                self.on_progress(self.calls, self.total)

    async def _send(
        self, candidate: CandidateBase, provider: Provider, request: ModelRequest, call: TurnCall
    ) -> StoredTurn:
        policy = candidate.retry
        key = (self.run_id, candidate.id, call.example.id, 0, call.turn)
        for attempt in range(1, policy.attempts + 1):
            try:
                completion = await provider.complete(request)
            except ProviderError as error:
                if not error.retryable or attempt == policy.attempts:
                    return StoredTurn(*key, text=None, error_kind=error.kind)
                await asyncio.sleep(backoff_s(policy, attempt, error, self.rng))
                continue
            results = run_checks(self.checks, completion.text, call.example, candidate.id)
            return StoredTurn(
                *key, text=completion.text, checks={r.check_id: r.passed for r in results}
            )
        raise AssertionError("unreachable: the last attempt returns")
