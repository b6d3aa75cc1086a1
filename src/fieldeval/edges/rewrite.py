"""The suite's translator: rewrites a text for the edge generators that need a model.

`edges.translator` names one of the suite's candidates. Each rewrite is one request
(the instruction as the system message, the text as the user message) sent through that
candidate's provider with its retry policy, at temperature 0 unless its params say
otherwise. The calls are made before the run exists, so they are recorded with the
judge's calls under the run id `REWRITE_RUN`, where an identical request made before is
answered without a call: the same suite makes the same variants without paying twice.
"""

from __future__ import annotations

import asyncio
import random
from types import TracebackType

from fieldeval.canonical import content_hash
from fieldeval.errors import ProviderError, SuiteError
from fieldeval.providers import create_provider
from fieldeval.providers.price_table import price_for
from fieldeval.providers.pricing import call_cost
from fieldeval.providers.retry import backoff_s
from fieldeval.records.completion import Completion
from fieldeval.records.grade import JudgeCall
from fieldeval.records.request import Message, ModelRequest
from fieldeval.store import Store
from fieldeval.store.grade_store import GradeStore
from fieldeval.suite.candidates import CandidateBase
from fieldeval.suite.loader import LoadedSuite

REWRITE_RUN = "(edge rewrites)"  # the run id the rewrite calls are recorded under
UNTRANSLATED = "[not translated yet]"  # offline: what marks a text no call has rewritten


class Rewriter:
    """`rewrite(text, instruction) -> text` for `edges.expand`, by the suite's translator.

    A synchronous callable (generators are plain functions) over its own event loop, so
    call it where no event loop runs; use it as a context manager so its provider is
    closed. `offline` answers from the store only (a dry run calls no model),
    marking a text it has no rewrite for with `UNTRANSLATED`.
    """

    def __init__(self, loaded: LoadedSuite, store: Store, *, offline: bool = False) -> None:
        edges = loaded.suite.edges
        if edges is None or edges.translator is None:
            raise SuiteError(
                "the suite names no `edges.translator`",
                hint="set `edges.translator` to the id of a candidate that can translate",
            )
        self.candidate = _candidate(loaded, edges.translator)
        self.provider = create_provider(self.candidate, base_dir=loaded.base_dir)
        self.grades = GradeStore(store)
        self.identity = dict(self.provider.cache_identity())
        snapshot = price_for(self.candidate)
        self.price = None if snapshot is None else snapshot.price
        self.offline = offline  # answer from the store only
        self.calls = 0
        self.cached = 0
        self.missing = 0  # offline: texts with no rewrite in the store
        self._loop = asyncio.new_event_loop()
        self._rng = random.Random()

    def __enter__(self) -> Rewriter:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        if self._loop.is_closed():
            return
        try:
            self._loop.run_until_complete(self.provider.aclose())
        finally:
            self._loop.close()

    def request(self, text: str, instruction: str) -> ModelRequest:
        params = dict(self.candidate.params)
        params.setdefault("temperature", 0)
        return ModelRequest(
            messages=(Message("system", instruction), Message("user", text)), params=params
        )

    def request_hash(self, request: ModelRequest) -> str:
        return content_hash(
            {
                "purpose": "edge rewrite",
                "provider": self.identity,
                "messages": [message.to_dict() for message in request.messages],
                "params": dict(request.params),
            }
        )

    def __call__(self, text: str, instruction: str) -> str:
        request = self.request(text, instruction)
        key = self.request_hash(request)
        hit = self.grades.cached_judge_call(key)
        if hit is not None and hit.parsed is not None:
            self.cached += 1
            return str(hit.parsed["text"])
        if self.offline:  # as long as a translation, and never mistaken for the original
            self.missing += 1
            return f"{UNTRANSLATED} {text}"
        completion, attempts = self._loop.run_until_complete(self._complete(request))
        answer = completion.text.strip()
        usage = completion.usage
        cost = call_cost(usage, self.price)
        self.grades.save_judge_call(
            JudgeCall(
                run_id=REWRITE_RUN,
                judge_id=self.candidate.id,
                request_hash=key,
                request={
                    "messages": [m.to_dict() for m in request.messages],
                    "params": dict(request.params),
                },
                response_text=completion.text,
                parsed={"text": answer},
                input_tokens=usage.input_tokens,
                output_tokens=usage.output_tokens,
                cached_input_tokens=usage.cached_input_tokens,
                reasoning_tokens=usage.reasoning_tokens,
                usage_estimated=usage.estimated,
                latency_ms=None if completion.latency_s is None else completion.latency_s * 1000,
                cost_usd=cost,
                attempts=attempts,
            )
        )
        self.calls += 1
        return answer

    async def _complete(self, request: ModelRequest) -> tuple[Completion, int]:
        policy = self.candidate.retry
        attempt = 1
        while True:
            try:
                return await self.provider.complete(request), attempt
            except ProviderError as error:
                if not error.retryable or attempt == policy.attempts:
                    raise ProviderError(
                        f"the translator {self.candidate.id!r} failed to rewrite a text for"
                        f" the edge cases: {error.message}",
                        error.kind,
                        error.status,
                    ) from error
                await asyncio.sleep(backoff_s(policy, attempt, error, self._rng))
            attempt += 1


def _candidate(loaded: LoadedSuite, candidate_id: str) -> CandidateBase:
    for candidate in loaded.suite.candidates:
        if candidate.id == candidate_id:
            return candidate
    raise SuiteError(f"edges.translator {candidate_id!r} is not a candidate")  # schema checks it
