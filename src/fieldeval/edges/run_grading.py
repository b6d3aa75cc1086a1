"""Grading a stored run's edge cases: its variants read back from the store, then graded.

The variants are the run's examples that carry `edge` fields (see `edges.expand`); each
reply is graded by `grade_edges` below: the deterministic oracles, then the suite's
judge against the clean original's reply. With `judge=False`, or a suite without `judge:`,
only the deterministic oracles decide, and every reply they do not decide is left
ungraded (counted in the report's `undecided`), never guessed.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from fieldeval.checks.compiler import compile_checks
from fieldeval.checks.labels import LabelSet, label_set
from fieldeval.edges.clean_view import is_variant
from fieldeval.edges.expand import variant_of
from fieldeval.edges.grading import (
    AnswerKey,
    CleanOutcome,
    EdgeCase,
    classify,
    clean_refused,
    paired_ids,
)
from fieldeval.edges.judge import open_edge_judge
from fieldeval.edges.variant import Variant
from fieldeval.judge.grader import JudgeReport, ProgressHandler
from fieldeval.records.run import OutputKey, StoredExample, StoredOutput
from fieldeval.store import Store
from fieldeval.store.edge_store import CLEAN_EXPECT, CLEAN_GENERATOR, EdgeStore, StoredEdgeOutcome
from fieldeval.suite.loader import LoadedSuite


def stored_variants(examples: list[StoredExample]) -> list[Variant]:
    """The variants among a run's examples, in dataset order."""
    found = (variant_of(example.input, example.fields) for example in examples)
    return [variant for variant in found if variant is not None]


def grade_run_edges(
    store: Store,
    loaded: LoadedSuite,
    run_id: str,
    *,
    judge: bool = True,
    on_progress: ProgressHandler | None = None,
) -> EdgeGradingReport:
    """Grade (or grade again) every reply to an edge case in the run, storing the outcomes."""
    return asyncio.run(
        grade_run_edges_async(store, loaded, run_id, judge=judge, on_progress=on_progress)
    )


async def grade_run_edges_async(
    store: Store,
    loaded: LoadedSuite,
    run_id: str,
    *,
    judge: bool = True,
    on_progress: ProgressHandler | None = None,
) -> EdgeGradingReport:
    run = store.run(run_id)
    variants = stored_variants(store.examples(run.dataset_hash))
    if not judge and loaded.suite.judge is not None:
        # The same suite without its judge: only the deterministic oracles decide.
        loaded = dataclasses.replace(loaded, suite=loaded.suite.model_copy(update={"judge": None}))
    return await grade_edges(store, loaded, run_id, variants, on_progress=on_progress)


def has_edges(store: Store, run_id: str) -> bool:
    """The run's dataset holds edge-case variants."""
    run = store.run(run_id)
    return bool(stored_variants(store.examples(run.dataset_hash)))


# -- a whole run -------------------------------------------------------------------------


@dataclass
class EdgeGradingReport:
    """What grading a run's edge replies did."""

    run_id: str
    graded: int = 0  # variant replies with an outcome written
    outcomes: Counter[str] = field(default_factory=Counter)  # correct/graceful/catastrophic
    by_oracle: Counter[str] = field(default_factory=Counter)
    clean_checked: int = 0  # clean originals checked for over-refusal
    over_refusals: int = 0
    no_output: int = 0  # variant calls that failed: nothing to grade
    unpaired: int = 0  # no clean output to pair with, and no deterministic oracle fired
    undecided: int = 0  # the judge was needed but gave no usable answer, or there is none
    judge: JudgeReport | None = None  # the judge's calls, cost and failures


@dataclass(frozen=True)
class _Job:
    output: StoredOutput
    case: EdgeCase
    clean: tuple[StoredOutput, ...] | None  # None: some original has no output to pair


async def grade_edges(
    store: Store,
    loaded: LoadedSuite,
    run_id: str,
    variants: Sequence[Variant] | None = None,
    *,
    on_progress: ProgressHandler | None = None,
) -> EdgeGradingReport:
    """Grade every reply to a variant in the run, check the clean originals they are paired
    with for over-refusal, and store the outcomes in `edge_outcomes` (replacing what an
    earlier pass wrote for the same reply).

    `variants` default to those the run's examples were made from (`edges.expand`). Each
    reply is paired with the same candidate's reply to each original (`paired_ids`) at the
    same repeat, else at its lowest answered repeat. The judge is the suite's `judge:`;
    without one only the deterministic oracles decide, the rest is counted as undecided,
    and no over-refusal is checked. Questions the judge was asked before are answered from
    the cache, so a second pass costs nothing. A reply left undecided keeps any outcome an
    earlier pass stored for it.
    """
    run = store.run(run_id)
    examples = {example.id: example for example in store.examples(run.dataset_hash)}
    if variants is None:
        variants = stored_variants(list(examples.values()))
    edges = loaded.suite.edges
    reply_language = edges.reply_language if edges is not None else "en"
    by_id = {variant.id: variant for variant in variants}
    outputs = store.outputs(run_id)
    answered = {OutputKey.of(o): o for o in outputs if o.ok and o.text is not None}
    report = EdgeGradingReport(run_id=run_id)
    answer_keys = _AnswerKeys.of(loaded, run.suite, list(examples.values()))
    jobs: list[_Job] = []
    originals: dict[OutputKey, StoredOutput] = {}
    for output in outputs:
        variant = by_id.get(output.example_id)
        if variant is None:
            continue
        if not output.ok or output.text is None:
            report.no_output += 1
            continue
        ids = paired_ids(variant)
        found = [examples.get(example_id) for example_id in ids]
        cleans = [_clean_output(answered, output.candidate_id, i, output.repeat) for i in ids]
        inputs = tuple(example.input if example is not None else "" for example in found)
        paired: tuple[StoredOutput, ...] | None = None
        if all(example is not None for example in found) and all(cleans):
            paired = tuple(clean for clean in cleans if clean is not None)
            for clean in paired:
                originals[OutputKey.of(clean)] = clean
        key = _answer_key(answer_keys, found, paired)
        jobs.append(_Job(output, EdgeCase.of(variant, inputs, reply_language, key), paired))
    rows: list[StoredEdgeOutcome] = []
    edge_store = EdgeStore(store)

    async with open_edge_judge(store, loaded, run_id) as judge:
        report.judge = judge.report if judge is not None else None
        checks = list(originals.values()) if judge is not None else []
        total, finished = len(jobs) + len(checks), 0
        if on_progress is not None:
            on_progress(0, total)

        def done() -> None:
            nonlocal finished
            finished += 1
            if on_progress is not None:
                on_progress(finished, total)

        async def save(row: StoredEdgeOutcome) -> None:
            if judge is None:
                rows.append(row)
            else:  # written as it comes: an interrupted pass keeps what it finished
                await judge.in_store(edge_store.save_outcomes, [row])

        async def grade(job: _Job) -> None:
            output, variant = job.output, job.case.variant
            texts = None if job.clean is None else tuple(c.text or "" for c in job.clean)
            decided = await classify(
                job.case, texts, output.text or "", judge, checks=output.checks
            )
            if decided is None:
                if job.clean is None and judge is not None:
                    report.unpaired += 1
                else:
                    report.undecided += 1
            else:
                report.graded += 1
                report.outcomes[decided.outcome] += 1
                report.by_oracle[decided.oracle] += 1
                await save(
                    StoredEdgeOutcome(
                        run_id=run_id,
                        candidate_id=output.candidate_id,
                        example_id=output.example_id,
                        repeat=output.repeat,
                        original_id=variant.original_id,
                        generator=variant.generator,
                        expect=variant.expect,
                        outcome=decided.outcome,
                        kind=decided.kind,
                        oracle=decided.oracle,
                        reason=decided.reason,
                        judge_call_id=decided.judge_call_id,
                    )
                )
            done()

        async def check_clean(clean: StoredOutput) -> None:
            assert judge is not None
            original = examples[clean.example_id]
            checked = await clean_refused(
                original.input,
                clean.text or "",
                judge,
                languages=(reply_language,),
                where=f"{clean.candidate_id} on {clean.example_id}#{clean.repeat}",
            )
            if checked is None:
                report.undecided += 1
            else:
                report.clean_checked += 1
                report.over_refusals += checked.refused
                await save(clean_row(run_id, OutputKey.of(clean), checked))
            done()

        # The judge client's semaphore holds the calls to the judge's concurrency.
        async with asyncio.TaskGroup() as group:
            for job in jobs:
                group.create_task(grade(job))
            for clean in checks:
                group.create_task(check_clean(clean))
    if rows:
        edge_store.save_outcomes(rows)
    return report


def clean_row(run_id: str, key: OutputKey, checked: CleanOutcome) -> StoredEdgeOutcome:
    """How a clean output's over-refusal check is stored: generator "clean"."""
    return StoredEdgeOutcome(
        run_id=run_id,
        candidate_id=key.candidate_id,
        example_id=key.example_id,
        repeat=key.repeat,
        original_id=key.example_id,
        generator=CLEAN_GENERATOR,
        expect=CLEAN_EXPECT,
        outcome="over_refusal" if checked.refused else "answered",
        kind=checked.kind,
        oracle="judge",
        reason=checked.reason,
        judge_call_id=checked.judge_call_id,
    )


def _clean_output(
    answered: Mapping[OutputKey, StoredOutput],
    candidate_id: str,
    original_id: str,
    repeat: int,
) -> StoredOutput | None:
    same = answered.get(OutputKey(candidate_id, original_id, repeat))
    if same is not None:
        return same
    others = [
        output
        for (candidate, example, _), output in answered.items()
        if candidate == candidate_id and example == original_id
    ]
    return min(others, key=lambda output: output.repeat) if others else None


@dataclass(frozen=True)
class _AnswerKeys:
    """The task's own answer key: its labels, and the checks templated from each example's
    fields (a check that renders `{{ amount }}` knows that example's right answer)."""

    labels: LabelSet | None
    reference_checks: frozenset[str]

    @classmethod
    def of(
        cls, loaded: LoadedSuite, suite: Mapping[str, Any], examples: Sequence[StoredExample]
    ) -> _AnswerKeys:
        clean = [example for example in examples if not is_variant(example)]
        compiled = compile_checks(loaded.suite.checks, base_dir=loaded.base_dir)
        templated = frozenset(c.id for c in compiled if getattr(c, "templated", False))
        return cls(label_set(suite, clean), templated)


def _answer_key(
    keys: _AnswerKeys,
    originals: Sequence[StoredExample | None],
    paired: tuple[StoredOutput, ...] | None,
) -> AnswerKey | None:
    """The answer key of a variant with one original: its label, and the reference checks
    the candidate's clean reply to it passed."""
    if len(originals) != 1 or originals[0] is None:
        return None
    reference = originals[0].reference
    label = keys.labels.canonical(reference) if keys.labels and reference else None
    passed = frozenset(
        c.check_id
        for clean in paired or ()
        for c in clean.checks
        if c.check_id in keys.reference_checks and c.passed and c.decides
    )
    if label is None and not passed:
        return None
    return AnswerKey(labels=keys.labels if label else None, label=label, checks=passed)
