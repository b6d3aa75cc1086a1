"""The LLM judge: grading a run's outputs on the rubric, one by one or side by side.

The judge is any candidate the suite names under `judge:`. It grades every answered output
on every criterion it applies to (criteria with `judge: false` are for people only) and
each grade is stored with the criterion version it was given under, so a re-run grades only
what is new. Side by side, the two outputs are shown in a seeded random order, and in both
orders when the suite asks for it. See `judge_prompt` for what the judge is shown and
`judge_client` for how it is asked.
"""

from __future__ import annotations

import asyncio
import random
import statistics
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from fieldeval.errors import SuiteError, UserError
from fieldeval.judge.client import JudgeClient, Ruling
from fieldeval.judge.prompt import output_prompt, pair_prompt
from fieldeval.providers import create_provider
from fieldeval.records.grade import Grade, PairGrade, Winner
from fieldeval.records.run import StoredExample, StoredOutput
from fieldeval.store import Store
from fieldeval.store.grade_store import GradeStore
from fieldeval.suite.candidates import CandidateBase
from fieldeval.suite.loader import LoadedSuite
from fieldeval.suite.rubric import Criterion, Judge

ProgressHandler = Callable[[int, int], None]
J = TypeVar("J")

MAX_FAILURES_SHOWN = 5
WINNERS: dict[str, Winner] = {"A": "left", "B": "right", "tie": "tie"}


@dataclass
class JudgeReport:
    """What one judging pass did, and what the calls it made cost."""

    judge_id: str
    calls: int = 0  # questions sent to the model (each may have taken several attempts)
    cached: int = 0  # questions answered from earlier calls
    graded: int = 0  # grades written
    skipped: int = 0  # already graded under the same criterion version by this judge
    failed: int = 0  # no usable answer after the retries: recorded, never a grade
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float | None = None  # None when the judge has no price
    latency_ms_p50: float | None = None  # of the calls made
    failures: list[str] = field(default_factory=list)  # the first few, for the user


@dataclass(frozen=True)
class _OutputJob:
    output: StoredOutput
    example: StoredExample
    criterion: Criterion


@dataclass(frozen=True)
class _PairJob:
    example: StoredExample
    repeat: int
    criterion: Criterion
    left: str  # shown as A
    right: str  # shown as B
    texts: dict[str, str]


async def judge_outputs(
    store: Store,
    loaded: LoadedSuite,
    run_id: str,
    *,
    criteria: Sequence[str] = (),
    on_progress: ProgressHandler | None = None,
) -> JudgeReport:
    """Grade every answered output of the run on each criterion the judge applies to.

    `criteria` limits the pass to those ids. Outputs this judge graded before under the same
    criterion version are skipped; a question asked before is answered from the cache.
    """
    _, candidate = _judge_of(loaded)
    chosen = _criteria(loaded, criteria)
    run = store.run(run_id)
    examples = {example.id: example for example in store.examples(run.dataset_hash)}
    grades = GradeStore(store)
    grader = _grader(candidate)
    grades.save_criteria((c.version, c.id, c.model_dump(mode="json")) for c in chosen)
    done = {
        (g.candidate_id, g.example_id, g.repeat, g.criterion_version)
        for g in grades.grades(run_id, grader=grader)
    }
    report = JudgeReport(judge_id=candidate.id)
    jobs: list[_OutputJob] = []
    for output in store.outputs(run_id):
        example = examples.get(output.example_id)
        if not output.ok or output.text is None or example is None or _edge(example):
            continue
        for criterion in chosen:
            if not criterion.applies(output.candidate_id, example.slices):
                continue
            key = (output.candidate_id, output.example_id, output.repeat, criterion.version)
            if key in done:
                report.skipped += 1
            else:
                jobs.append(_OutputJob(output, example, criterion))

    async def grade(client: JudgeClient, job: _OutputJob) -> None:
        output, example, criterion = job.output, job.example, job.criterion
        prompt = output_prompt(
            loaded.suite.task.description,
            criterion,
            input_text=example.input,
            output=output.text or "",
            reference=example.reference,
        )
        ruling = await client.ask(prompt)
        where = f"{output.candidate_id} on {example.id}#{output.repeat}, {criterion.id}"
        if not _usable(ruling, report, where):
            return
        assert ruling.parsed is not None
        value = _value(criterion, ruling.parsed["score" if criterion.ordinal else "verdict"])
        grade_row = Grade(
            run_id=run_id,
            candidate_id=output.candidate_id,
            example_id=example.id,
            repeat=output.repeat,
            criterion_id=criterion.id,
            criterion_version=criterion.version,
            grader=grader,
            grader_kind="judge",
            value=value,
            note=str(ruling.parsed["reason"]),
            judge_call_id=ruling.call_id,
        )
        await client.in_store(grades.save_grade, grade_row)
        report.graded += 1

    await _run(loaded, store, run_id, jobs, grade, report, on_progress)
    return report


async def judge_pairs(
    store: Store,
    loaded: LoadedSuite,
    run_id: str,
    first: str,
    second: str,
    *,
    criteria: Sequence[str] = (),
    on_progress: ProgressHandler | None = None,
) -> JudgeReport:
    """Judge two candidates' outputs side by side, per example both answered and criterion.

    Which one is shown as A is drawn from a generator seeded with the judge's seed, the
    pair, the example and the criterion; with `both_orders` the swapped order is judged
    too. Each judgement is a `PairGrade` whose left candidate is the one shown as A.
    """
    judge, candidate = _judge_of(loaded)
    chosen = _criteria(loaded, criteria)
    if first == second:
        raise UserError(f"compare two different candidates, not {first!r} with itself")
    run = store.run(run_id)
    for name in (first, second):
        if name not in run.candidates:
            known = ", ".join(run.candidates)
            raise UserError(f"run {run_id} has no candidate {name!r} (it has {known})")
    texts: dict[tuple[str, int], dict[str, str]] = {}
    for output in store.outputs(run_id):
        if output.ok and output.text is not None and output.candidate_id in (first, second):
            texts.setdefault((output.example_id, output.repeat), {})[output.candidate_id] = (
                output.text
            )
    grades = GradeStore(store)
    grader = _grader(candidate)
    grades.save_criteria((c.version, c.id, c.model_dump(mode="json")) for c in chosen)
    done = {
        (p.example_id, p.repeat, p.criterion_version, p.left_candidate, p.right_candidate)
        for p in grades.pair_grades(run_id)
        if p.grader == grader
    }
    low, high = sorted((first, second))  # the order shown must not depend on argument order
    report = JudgeReport(judge_id=candidate.id)
    jobs: list[_PairJob] = []
    for example in store.examples(run.dataset_hash):
        for repeat in range(run.repeats):
            both = texts.get((example.id, repeat), {})
            if len(both) < 2 or _edge(example):
                continue
            for criterion in chosen:
                if not (
                    criterion.applies(low, example.slices)
                    and criterion.applies(high, example.slices)
                ):
                    continue
                shown = shown_order(judge.seed, (low, high), example.id, repeat, criterion.id)
                for left, right in [shown, shown[::-1]] if judge.both_orders else [shown]:
                    if (example.id, repeat, criterion.version, left, right) in done:
                        report.skipped += 1
                    else:
                        jobs.append(_PairJob(example, repeat, criterion, left, right, both))

    async def compare(client: JudgeClient, job: _PairJob) -> None:
        prompt = pair_prompt(
            loaded.suite.task.description,
            job.criterion,
            input_text=job.example.input,
            first=job.texts[job.left],
            second=job.texts[job.right],
            reference=job.example.reference,
        )
        ruling = await client.ask(prompt)
        where = f"{job.left} vs {job.right} on {job.example.id}#{job.repeat}, {job.criterion.id}"
        if not _usable(ruling, report, where):
            return
        assert ruling.parsed is not None
        pair = PairGrade(
            run_id=run_id,
            example_id=job.example.id,
            repeat=job.repeat,
            criterion_id=job.criterion.id,
            criterion_version=job.criterion.version,
            grader=grader,
            grader_kind="judge",
            left_candidate=job.left,
            right_candidate=job.right,
            winner=WINNERS[str(ruling.parsed["winner"])],
            note=str(ruling.parsed["reason"]),
            judge_call_id=ruling.call_id,
        )
        await client.in_store(grades.save_pair_grade, pair)
        report.graded += 1

    await _run(loaded, store, run_id, jobs, compare, report, on_progress)
    return report


def shown_order(
    seed: int, pair: tuple[str, str], example_id: str, repeat: int, criterion_id: str
) -> tuple[str, str]:
    """Which candidate is shown as A: a fair coin, the same on every re-run."""
    # A string seed is hashed with SHA-512 by `random`, the same in every process.
    coin = random.Random(f"{seed}|{pair[0]}|{pair[1]}|{example_id}|{repeat}|{criterion_id}")
    return pair if coin.random() < 0.5 else (pair[1], pair[0])


def run_judge(
    store: Store,
    loaded: LoadedSuite,
    run_id: str,
    *,
    pair: tuple[str, str] | None = None,
    criteria: Sequence[str] = (),
    on_progress: ProgressHandler | None = None,
) -> JudgeReport:
    """`judge_outputs`, or `judge_pairs` when given a pair, run to the end."""
    if pair is None:
        return asyncio.run(
            judge_outputs(store, loaded, run_id, criteria=criteria, on_progress=on_progress)
        )
    return asyncio.run(
        judge_pairs(store, loaded, run_id, *pair, criteria=criteria, on_progress=on_progress)
    )


async def _run(
    loaded: LoadedSuite,
    store: Store,
    run_id: str,
    jobs: Sequence[J],
    work: Callable[[JudgeClient, J], Awaitable[None]],
    report: JudgeReport,
    on_progress: ProgressHandler | None,
) -> None:
    """Do every job with the suite's judge, `concurrency` calls at a time, and fill the report."""
    judge, candidate = _judge_of(loaded)
    provider = create_provider(candidate, base_dir=loaded.base_dir)
    client = JudgeClient(
        candidate,
        provider,
        GradeStore(store),
        run_id=run_id,
        malformed_retries=judge.malformed_retries,
    )
    finished = 0
    if on_progress is not None:
        on_progress(0, len(jobs))

    async def one(job: J) -> None:
        nonlocal finished
        await work(client, job)
        finished += 1
        if on_progress is not None:
            on_progress(finished, len(jobs))

    try:
        # Every job waits on the client's semaphore for a slot, so this starts them all.
        async with asyncio.TaskGroup() as group:
            for job in jobs:
                group.create_task(one(job))
    finally:
        await provider.aclose()
        tally = client.tally
        report.calls, report.cached = tally.calls, tally.cached
        report.input_tokens, report.output_tokens = tally.input_tokens, tally.output_tokens
        report.cost_usd = tally.cost_usd if tally.priced and tally.cost_known else None
        if tally.latencies_ms:
            report.latency_ms_p50 = statistics.median(tally.latencies_ms)


def _usable(ruling: Ruling, report: JudgeReport, where: str) -> bool:
    """Whether the ruling can become a grade; a failure is counted and a few are kept."""
    if ruling.parsed is not None:
        return True
    report.failed += 1
    if len(report.failures) < MAX_FAILURES_SHOWN:
        report.failures.append(f"{where}: {ruling.error}")
    return False


def _value(criterion: Criterion, answer: object) -> int | None:
    """The grade's value: 1 pass and 0 fail, the level for a scale, None for n/a."""
    if answer == "n/a":
        return None
    if criterion.ordinal:
        assert isinstance(answer, int)  # the parser admits only the scale's levels
        return answer
    return 1 if answer == "pass" else 0


def _judge_of(loaded: LoadedSuite) -> tuple[Judge, CandidateBase]:
    suite = loaded.suite
    if suite.judge is None:
        raise SuiteError(
            f"{loaded.path} has no `judge:` section",
            hint="add one naming the candidate that judges, e.g. `judge: {candidate: gpt-4o}`",
        )
    return suite.judge, suite.judge_candidate()


def _criteria(loaded: LoadedSuite, ids: Sequence[str]) -> list[Criterion]:
    """The criteria the judge grades: those named, or every one it may grade."""
    rubric = {criterion.id: criterion for criterion in loaded.suite.rubric}
    if not ids:
        chosen = [criterion for criterion in rubric.values() if criterion.judge]
        if not chosen:
            raise SuiteError(
                f"{loaded.path} has no rubric criteria for the judge",
                hint="add criteria under `rubric:` (a criterion with `judge: false` is for"
                " people only)",
            )
        return chosen
    unknown = [name for name in ids if name not in rubric]
    if unknown:
        known = ", ".join(rubric) or "none"
        raise UserError(f"no criterion {unknown[0]!r} in the rubric (criteria: {known})")
    people_only = [name for name in ids if not rubric[name].judge]
    if people_only:
        raise UserError(f"criterion {people_only[0]!r} is for people only (judge: false)")
    return [rubric[name] for name in dict.fromkeys(ids)]


def _grader(candidate: CandidateBase) -> str:
    return f"judge:{candidate.id}"


def _edge(example: StoredExample) -> bool:
    """An edge-case variant: graded by the edge oracles (`edge_grading`), not the rubric."""
    return "edge_of" in example.fields
