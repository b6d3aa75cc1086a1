"""Asking the judge one question: cache, transport retries, re-asks, and the call's record.

Every question is recorded in `judge_calls`, apart from the candidates' outputs, with its
tokens, latency and cost summed over all its attempts. An identical question asked before
(same judge identity, messages and parameters) is answered from there without a call.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from fieldeval.canonical import content_hash
from fieldeval.errors import ProviderError
from fieldeval.judge.prompt import MalformedAnswer, Question, reask
from fieldeval.providers.base import Provider
from fieldeval.providers.limits import RateLimiter
from fieldeval.providers.price_table import price_for
from fieldeval.providers.pricing import call_cost
from fieldeval.providers.registry import capabilities
from fieldeval.providers.retry import backoff_s
from fieldeval.records.completion import Completion
from fieldeval.records.grade import JudgeCall
from fieldeval.records.request import ModelRequest
from fieldeval.store.grade_store import GradeStore
from fieldeval.suite.candidates import CandidateBase, Price

T = TypeVar("T")

MALFORMED = "malformed_answer"  # judge_calls.error_kind when no attempt parsed


@dataclass(frozen=True)
class Ruling:
    """The judge's parsed answer to one question, or why there is none."""

    parsed: Mapping[str, Any] | None
    call_id: int | None
    from_cache: bool
    error: str | None = None


@dataclass
class Tally:
    """What the calls actually made cost; cache hits cost nothing and are counted apart."""

    priced: bool
    calls: int = 0
    cached: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0
    cost_known: bool = True
    latencies_ms: list[float] = field(default_factory=list)


LOCAL_REASON_CHARS = 200
LOCAL_MAX_ITEMS = 20


def bounded(schema: dict[str, Any]) -> dict[str, Any]:
    """`schema` with every free string and array given an upper bound."""
    bounded_schema = dict(schema)
    kind = schema.get("type")
    if kind == "string" and "enum" not in schema:
        bounded_schema.setdefault("maxLength", LOCAL_REASON_CHARS)
    elif kind == "array":
        bounded_schema.setdefault("maxItems", LOCAL_MAX_ITEMS)
        bounded_schema["items"] = bounded(schema["items"])
    elif kind == "object":
        bounded_schema["properties"] = {
            name: bounded(value) for name, value in schema["properties"].items()
        }
    return bounded_schema


def judge_params(judge: CandidateBase, prompt: Question) -> dict[str, Any]:
    """The judge candidate's params, at temperature 0 unless set, with structured output.

    The question's own defaults apply where the candidate's params are silent; its
    `max_tokens` is a floor, so a judge set short for verdicts can still answer a long
    question (grouping notes) in full.

    Servers that take a JSON schema are held to the answer's schema, so even a small model
    answers in a parseable form; `response_format` in the candidate's params overrides
    that, and `response_format: null` turns it off.
    """
    params = dict(judge.params)
    params.setdefault("temperature", 0)
    for name, value in prompt.param_defaults().items():
        if name == "max_tokens" and name in params:
            params[name] = max(int(params[name]), int(value))
        else:
            params.setdefault(name, value)
    if "response_format" in params:
        if params["response_format"] is None:
            del params["response_format"]
    elif (can := capabilities(judge.provider)).structured_output:
        schema = prompt.answer_schema()
        if can.bounded_schema:
            # llama.cpp's grammar honours maxLength and maxItems: a small model that starts
            # copying its input, or listing forever, still closes the object in time.
            schema = bounded(schema)
        params["response_format"] = {
            "type": "json_schema",
            "json_schema": {"name": f"judge_{prompt.kind}", "strict": True, "schema": schema},
        }
    return params


class JudgeClient:
    """Asks one judge model questions for one run, recording each call."""

    def __init__(
        self,
        judge: CandidateBase,
        provider: Provider,
        grades: GradeStore,
        *,
        run_id: str,
        malformed_retries: int,
    ) -> None:
        self.judge = judge
        self.provider = provider
        self.grades = grades
        self.run_id = run_id
        self.malformed_retries = malformed_retries
        self.identity = dict(provider.cache_identity())
        # A hosted judge without `price:` is costed from the bundled table, as candidates are.
        snapshot = price_for(judge)
        self.price = None if snapshot is None else snapshot.price
        self.tally = Tally(priced=self.price is not None)
        limit = judge.rate_limit
        self._limiter = RateLimiter(limit.rpm, limit.tpm) if limit is not None else None
        self._slots = asyncio.Semaphore(judge.concurrency)
        self._store_lock = asyncio.Lock()
        self._rng = random.Random()
        # Two identical questions in flight at once (two candidates giving the same output)
        # make one call: the second waits for the first's answer.
        self._inflight: dict[str, asyncio.Future[Ruling]] = {}

    async def in_store(self, function: Callable[..., T], *args: Any) -> T:
        """Run a store method off the event loop, one at a time: SQLite has one writer."""
        async with self._store_lock:
            return await asyncio.to_thread(function, *args)

    def request_hash(self, prompt: Question) -> str:
        return content_hash(
            {
                "judge": self.identity,
                "messages": [message.to_dict() for message in prompt.messages],
                "params": judge_params(self.judge, prompt),
            }
        )

    async def ask(self, prompt: Question) -> Ruling:
        """The judge's answer: from the cache, from a call in flight, or from a new call."""
        key = self.request_hash(prompt)
        waiting = self._inflight.get(key)
        if waiting is not None:
            ruling = await asyncio.shield(waiting)
            if ruling.parsed is not None:
                self.tally.cached += 1
            return Ruling(ruling.parsed, ruling.call_id, True, ruling.error)
        future: asyncio.Future[Ruling] = asyncio.get_running_loop().create_future()
        self._inflight[key] = future
        try:
            cached = await self.in_store(self.grades.cached_judge_call, key)
            if cached is not None and cached.parsed is not None:
                self.tally.cached += 1
                ruling = Ruling(cached.parsed, cached.id, True)
            else:
                ruling = await self._call(prompt, key)
            future.set_result(ruling)
            return ruling
        finally:
            if not future.done():
                future.cancel()  # waiters are cancelled with us rather than left hanging
            del self._inflight[key]

    async def _call(self, prompt: Question, key: str) -> Ruling:
        params = judge_params(self.judge, prompt)
        conversation = prompt.messages
        spent = _Spent()
        answer: str | None = None
        parsed: dict[str, Any] | None = None
        problem: MalformedAnswer | None = None
        failure: ProviderError | None = None
        for _ in range(self.malformed_retries + 1):
            if answer is not None and problem is not None:
                conversation = reask(conversation, answer, problem, prompt)
            result, attempts = await self._complete(ModelRequest(conversation, params))
            spent.attempts += attempts
            if isinstance(result, ProviderError):
                failure = result
                break
            spent.add(result, self.price)
            answer = result.text
            try:
                parsed = prompt.parse(answer)
            except MalformedAnswer as malformed:
                problem = malformed
                continue
            break
        error_kind = error_message = None
        if failure is not None:
            error_kind, error_message = failure.kind.value, str(failure)
        elif parsed is None and problem is not None:
            error_kind, error_message = MALFORMED, problem.reason
        call = JudgeCall(
            run_id=self.run_id,
            judge_id=self.judge.id,
            request_hash=key,
            request={"messages": [m.to_dict() for m in conversation], "params": params},
            response_text=answer,
            parsed=parsed,
            input_tokens=spent.input_tokens,
            output_tokens=spent.output_tokens,
            cached_input_tokens=spent.cached_input_tokens,
            reasoning_tokens=spent.reasoning_tokens,
            usage_estimated=spent.estimated,
            latency_ms=spent.latency_ms,
            cost_usd=spent.cost_usd if self.tally.priced else None,
            attempts=spent.attempts,
            error_kind=error_kind,
            error_message=error_message,
        )
        call_id = await self.in_store(self.grades.save_judge_call, call)
        self._count(spent)
        error = None if parsed is not None else f"{error_kind}: {error_message}"
        return Ruling(parsed, call_id, False, error)

    async def _complete(self, request: ModelRequest) -> tuple[Completion | ProviderError, int]:
        """One answer, retrying transport failures as the runner does; and the calls made."""
        policy = self.judge.retry
        attempt = 1
        while True:
            if self._limiter is not None:
                await self._limiter.acquire(_estimated_tokens(request))
            try:
                async with self._slots:
                    # Every provider enforces the candidate's timeout_s and raises ProviderError.
                    return await self.provider.complete(request), attempt
            except ProviderError as error:
                if not error.retryable or attempt == policy.attempts:
                    return error, attempt
                await asyncio.sleep(backoff_s(policy, attempt, error, self._rng))
            attempt += 1

    def _count(self, spent: _Spent) -> None:
        tally = self.tally
        tally.calls += 1
        tally.input_tokens += spent.input_tokens or 0
        tally.output_tokens += spent.output_tokens or 0
        if spent.cost_usd is None:
            tally.cost_known = False
        else:
            tally.cost_usd += spent.cost_usd
        if spent.latency_ms is not None:
            tally.latencies_ms.append(spent.latency_ms)


@dataclass
class _Spent:
    """Usage, latency and cost summed over one question's attempts."""

    attempts: int = 0
    input_tokens: int | None = None
    output_tokens: int | None = None
    cached_input_tokens: int | None = None
    reasoning_tokens: int | None = None
    estimated: bool = False
    latency_ms: float | None = None
    cost_usd: float | None = 0.0

    def add(self, completion: Completion, price: Price | None) -> None:
        usage = completion.usage
        self.input_tokens = _plus(self.input_tokens, usage.input_tokens)
        self.output_tokens = _plus(self.output_tokens, usage.output_tokens)
        self.cached_input_tokens = _plus(self.cached_input_tokens, usage.cached_input_tokens)
        self.reasoning_tokens = _plus(self.reasoning_tokens, usage.reasoning_tokens)
        self.estimated = self.estimated or usage.estimated
        if completion.latency_s is not None:
            self.latency_ms = (self.latency_ms or 0.0) + completion.latency_s * 1000
        cost = call_cost(usage, price)
        # One attempt of unknown cost makes the question's cost unknown, not cheaper.
        self.cost_usd = None if cost is None or self.cost_usd is None else self.cost_usd + cost


def _plus(total: int | None, more: int | None) -> int | None:
    return total if more is None else (total or 0) + more


def _estimated_tokens(request: ModelRequest) -> int:
    chars = sum(len(message.content) for message in request.messages)
    return chars // 4 + int(request.params.get("max_tokens", 256))
