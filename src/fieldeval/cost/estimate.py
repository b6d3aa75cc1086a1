"""What a run would cost before it is made: calls, tokens and dollars, without calling a model.

The plan is the runner's own (`plan_work`), so the calls and cache keys are those a run
would have. Nothing is stored and no provider is asked anything: providers are created only
for their cache identity, and a local model's server starts on its first call, never here.

Token counts are as good as the store allows, and each says where it came from:

- input: exact when an earlier answer to the same prompt (any repeat) reported its usage,
  else the prompt's characters / 4, marked estimated;
- output: the candidate's mean in the latest finished run of the suite, else `max_tokens`
  (an upper bound), else unknown.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from fieldeval.judge.prompt import JudgePrompt, output_prompt
from fieldeval.providers import candidate_warnings, create_provider
from fieldeval.providers.base import Provider
from fieldeval.providers.price_table import PriceSnapshot, price_for
from fieldeval.providers.pricing import call_cost
from fieldeval.providers.registry import capabilities
from fieldeval.records.completion import Completion, Usage
from fieldeval.records.example import Dataset, Example
from fieldeval.records.request import Message
from fieldeval.records.run import RunInfo
from fieldeval.runner.plan import WorkItem, plan_work, request_hash
from fieldeval.store import Store
from fieldeval.store.grade_store import GradeStore
from fieldeval.suite.candidates import CandidateBase
from fieldeval.suite.loader import LoadedSuite
from fieldeval.suite.rubric import Criterion
from fieldeval.suite.schema import Suite

OutputBasis = Literal["run", "max_tokens", "unknown"]
_MAX_TOKENS_PARAMS = ("max_tokens", "max_completion_tokens", "max_output_tokens")


@dataclass(frozen=True)
class CallEstimate:
    """The calls one model would get in the run, their tokens and what they would cost."""

    name: str  # the candidate's id, or the judge's
    role: Literal["candidate", "judge"]
    calls: int  # every call the run plans
    cached: int  # of them, answered from the store's cache at no cost
    input_tokens: int  # over the calls to make
    input_exact: int  # calls to make whose input count an earlier answer reported
    output_tokens: int | None  # over the calls to make; None when unknown
    output_basis: OutputBasis
    output_run: str | None  # the run the output mean comes from (basis "run")
    price: PriceSnapshot | None
    cost_usd: float | None  # None without a price, or when a count the price needs is unknown

    @property
    def to_make(self) -> int:
        return self.calls - self.cached

    @property
    def input_estimated(self) -> bool:
        return self.input_exact < self.to_make


@dataclass(frozen=True)
class RunEstimate:
    suite_name: str
    examples: int
    repeats: int
    candidates: tuple[CallEstimate, ...]
    judge: CallEstimate | None  # None unless the judge grades the rubric after the run
    warnings: tuple[str, ...] = ()  # what would stop or spoil the real run (a key not set)

    @property
    def rows(self) -> tuple[CallEstimate, ...]:
        return self.candidates if self.judge is None else (*self.candidates, self.judge)

    @property
    def cost_usd(self) -> float:
        """The known part of the cost; `cost_complete` says whether that is all of it."""
        return sum(row.cost_usd or 0.0 for row in self.rows)

    @property
    def cost_complete(self) -> bool:
        return all(row.cost_usd is not None or row.to_make == 0 for row in self.rows)


def estimate_run(
    loaded: LoadedSuite,
    store: Store,
    dataset: Dataset,
    *,
    repeats: int = 1,
    use_cache: bool = True,
    resume: RunInfo | None = None,
    judge: bool = True,
) -> RunEstimate:
    """The calls `run_suite` would make with these options, and what they would cost."""
    suite = loaded.suite
    providers = {
        c.id: create_provider(c, base_dir=loaded.base_dir, calls=False) for c in suite.candidates
    }
    try:
        plan = plan_work(suite, dataset, providers, repeats=repeats)
        identities = {cid: provider.cache_identity() for cid, provider in providers.items()}
    finally:
        asyncio.run(_close(providers.values()))
    if resume is not None:
        done = store.answered_keys(resume.id)
        plan = {cid: [i for i in items if i.key not in done] for cid, items in plan.items()}
    # The first repeat's answer gives the prompt's exact size to every repeat of it.
    first = {
        i.request_hash: request_hash(identities[cid], i.request, 0)
        for cid, items in plan.items()
        for i in items
    }
    stored = store.cached([*first, *first.values()])
    cached = {h for h in first if h in stored} if use_cache else set()
    latest = _latest_finished(store, suite.task.name)
    outputs = _mean_output_tokens(store, latest) if latest is not None else {}
    rows = []
    for candidate in suite.candidates:
        items = plan[candidate.id]
        to_make = [i for i in items if i.request_hash not in cached]
        exact = [_exact_input(stored.get(first[i.request_hash])) for i in to_make]
        per_call, basis = _output_per_call(candidate, outputs.get(candidate.id))
        rows.append(
            _row(
                candidate.id,
                "candidate",
                candidate,
                calls=len(items),
                cached=len(items) - len(to_make),
                inputs=[
                    known if known is not None else _chars_over_4(i.request.messages)
                    for i, known in zip(to_make, exact, strict=True)
                ],
                input_exact=sum(known is not None for known in exact),
                output_per_call=per_call,
                output_basis=basis,
                latest=latest,
            )
        )
    judge_row = None
    if judge and suite.judged_criteria():
        judge_row = _judge(suite, plan, stored, cached, outputs, store, latest)
    return RunEstimate(
        suite_name=suite.task.name,
        examples=len(dataset),
        repeats=repeats,
        candidates=tuple(rows),
        judge=judge_row,
        warnings=tuple(candidate_warnings(suite.candidates, base_dir=loaded.base_dir)),
    )


def _judge(
    suite: Suite,
    plan: Mapping[str, Sequence[WorkItem]],
    stored: Mapping[str, Completion],
    cached: set[str],
    outputs: Mapping[str, float],
    store: Store,
    latest: RunInfo | None,
) -> CallEstimate:
    """Rough: one call per judged criterion per planned output, none of them cached.

    An output not yet made is taken to be as long as its candidate's usual output.
    """
    entry = suite.judge_candidate()
    candidates = {c.id: c for c in suite.candidates}
    inputs: list[int] = []
    for cid, items in plan.items():
        usual, _ = _output_per_call(candidates[cid], outputs.get(cid))
        for item in items:
            if "edge_of" in item.example.fields:
                continue  # an edge-case variant: graded by the edge oracles, not the rubric
            answer = stored.get(item.request_hash) if item.request_hash in cached else None
            for criterion in suite.judged_criteria():
                if not criterion.applies(cid, item.example.slices or {}):
                    continue
                question = _question(suite, criterion, item.example, answer)
                extra = 0 if answer is not None else round(usual or 0)
                inputs.append(_chars_over_4(question.messages) + extra)
    judged = _judge_output_tokens(store, latest, entry.id)
    # A question to grade one output sets no max_tokens of its own: the judge's params rule.
    per_call, basis = _output_per_call(entry, judged)
    return _row(
        entry.id,
        "judge",
        entry,
        calls=len(inputs),
        cached=0,
        inputs=inputs,
        input_exact=0,
        output_per_call=per_call,
        output_basis=basis,
        latest=latest,
    )


def _question(
    suite: Suite, criterion: Criterion, example: Example, answer: Completion | None
) -> JudgePrompt:
    return output_prompt(
        suite.task.description,
        criterion,
        input_text=example.input,
        output=answer.text if answer is not None else "",
        reference=example.reference,
    )


def _row(
    name: str,
    role: Literal["candidate", "judge"],
    entry: CandidateBase,
    *,
    calls: int,
    cached: int,
    inputs: Sequence[int],
    input_exact: int,
    output_per_call: float | None,
    output_basis: OutputBasis,
    latest: RunInfo | None,
) -> CallEstimate:
    to_make = len(inputs)
    output_tokens = None if output_per_call is None else round(output_per_call * to_make)
    price = price_for(entry)
    cost = None
    if price is not None:
        # The cost is linear in the tokens, so the calls' sum is one call's cost of the sums,
        # plus the fixed price of every call after the first.
        usage = Usage(input_tokens=sum(inputs), output_tokens=output_tokens)
        one = call_cost(usage, price.price) if to_make else 0.0
        cost = None if one is None else one + price.price.per_call * max(to_make - 1, 0)
    return CallEstimate(
        name=name,
        role=role,
        calls=calls,
        cached=cached,
        input_tokens=sum(inputs),
        input_exact=input_exact,
        output_tokens=output_tokens,
        output_basis=output_basis,
        output_run=latest.id if output_basis == "run" and latest is not None else None,
        price=price,
        cost_usd=cost,
    )


def _output_per_call(entry: CandidateBase, mean: float | None) -> tuple[float | None, OutputBasis]:
    if mean is not None:
        return mean, "run"
    for name in _MAX_TOKENS_PARAMS:
        value = entry.params.get(name)
        if isinstance(value, int) and not isinstance(value, bool):
            return float(value), "max_tokens"
    default = capabilities(entry.provider).default_max_tokens
    if default is not None:
        return float(default), "max_tokens"  # what the provider sends when unset
    return None, "unknown"


def _exact_input(answer: Completion | None) -> int | None:
    if answer is None or answer.usage.estimated:
        return None
    return answer.usage.input_tokens


def _chars_over_4(messages: Sequence[Message]) -> int:
    # As providers estimate a server's missing usage (`Usage.estimate`).
    return math.ceil(sum(len(message.content) for message in messages) / 4)


def _latest_finished(store: Store, suite_name: str) -> RunInfo | None:
    return next((r for r in store.runs(suite_name=suite_name) if r.status == "finished"), None)


def _mean_output_tokens(store: Store, run: RunInfo) -> dict[str, float]:
    counts: dict[str, list[int]] = {}
    for output in store.outputs(run.id):
        if output.ok and output.output_tokens is not None:
            counts.setdefault(output.candidate_id, []).append(output.output_tokens)
    return {cid: sum(values) / len(values) for cid, values in counts.items()}


def _judge_output_tokens(store: Store, run: RunInfo | None, judge_id: str) -> float | None:
    if run is None:
        return None
    counts = [
        call.output_tokens
        for call in GradeStore(store).judge_calls(run.id)
        if call.judge_id == judge_id and call.output_tokens is not None
    ]
    return sum(counts) / len(counts) if counts else None


async def _close(providers: Iterable[Provider]) -> None:
    for provider in providers:
        await provider.aclose()
