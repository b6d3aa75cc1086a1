"""`fieldeval judge`, `agreement` and `calibrate`: the rubric's grades, read and checked."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from rich.text import Text

from fieldeval.cli.console import console
from fieldeval.errors import ConfigError, Interrupted, UserError

if TYPE_CHECKING:
    from fieldeval.judge.grader import JudgeReport, ProgressHandler
    from fieldeval.records.run import RunInfo
    from fieldeval.store import Store
    from fieldeval.suite.loader import LoadedSuite

RUBRIC_HINT = (
    "add a rubric to the suite, e.g.\n"
    "rubric:\n"
    "  - id: names-the-product\n"
    "    question: Does the summary name the financial product?"
)


def resolve_run(store: Store, loaded: LoadedSuite, run_id: str | None) -> RunInfo:
    """The run named (it must be a run of this suite), else the suite's latest."""
    if run_id is not None:
        info = store.run(run_id)
        if info.suite_name != loaded.suite.task.name:
            raise UserError(
                f"run {info.id} is a run of {info.suite_name!r}, not of {loaded.suite.task.name!r}",
                hint="pass the suite that run came from",
            )
        return info
    latest = store.latest_run(loaded.suite.task.name)
    if latest is None:
        raise UserError(
            f"no run of {loaded.suite.task.name!r} in the store yet",
            hint=f"run it first: fieldeval run {loaded.path}",
        )
    return latest


def load_with_rubric(suite_path: Path) -> LoadedSuite:
    from fieldeval.suite.loader import load_suite

    loaded = load_suite(suite_path)
    if not loaded.suite.rubric:
        raise ConfigError(f"{suite_path}: the suite has no rubric to grade by", hint=RUBRIC_HINT)
    return loaded


def judge(
    suite_path: Path,
    *,
    run_id: str | None,
    pair: str | None,
    criteria: list[str],
    db: str | None,
    quiet: bool,
) -> None:
    from fieldeval.store import Store

    loaded = load_with_rubric(suite_path)
    if loaded.suite.judge is None:
        raise ConfigError(
            f"{suite_path}: the suite has no judge",
            hint="add `judge: {candidate: <a candidate id>}` or give the judge its own entry",
        )
    store = Store.open(db)
    try:
        info = resolve_run(store, loaded, run_id)
        report = run_judge(store, loaded, info, pair=pair, criteria=criteria, quiet=quiet)
        render_judge_report(report)
        render_rubric_results(store, loaded, info, side_by_side=pair is not None)
    finally:
        store.close()


def run_judge(
    store: Store,
    loaded: LoadedSuite,
    info: RunInfo,
    *,
    pair: str | None = None,
    criteria: list[str] | tuple[str, ...] = (),
    quiet: bool = False,
) -> JudgeReport:
    """Grade the run with the suite's judge, showing progress; Ctrl-C keeps what was graded."""
    from fieldeval.judge.grader import judge_outputs, judge_pairs

    known = {criterion.id for criterion in loaded.suite.rubric}
    for name in criteria:
        if name not in known:
            raise UserError(f"no criterion {name!r} in the rubric ({', '.join(sorted(known))})")
    from fieldeval.cli.progress import CountProgress

    progress = None if quiet else CountProgress("judging", console)
    try:
        if pair is None:
            call = judge_outputs(store, loaded, info.id, criteria=criteria, on_progress=progress)
        else:
            first, second = split_pair(pair, info)
            call = judge_pairs(
                store, loaded, info.id, first, second, criteria=criteria, on_progress=progress
            )
        return asyncio.run(call)
    except KeyboardInterrupt:
        raise Interrupted(
            "every grade given so far is stored", hint="run the same command to finish"
        ) from None
    finally:
        if progress is not None:
            progress.close()


def split_pair(pair: str, info: RunInfo) -> tuple[str, str]:
    names = [name.strip() for name in pair.split(",")]
    if len(names) != 2 or names[0] == names[1]:
        raise UserError(f"--pair takes two candidate ids separated by a comma, not {pair!r}")
    for name in names:
        if name not in info.candidates:
            raise UserError(
                f"{name!r} is not a candidate of run {info.id}",
                hint=f"candidates: {', '.join(info.candidates)}",
            )
    return names[0], names[1]


@contextmanager
def judge_progress() -> Iterator[ProgressHandler]:
    """Progress over the judge's calls, stopped on the way out."""
    from fieldeval.cli.progress import count_progress

    with count_progress("judging", console) as progress:
        yield progress


def render_judge_report(report: JudgeReport) -> None:
    from fieldeval.notation import number

    cost = "no price set" if report.cost_usd is None else number(report.cost_usd, "$")
    console.print(
        Text(
            f"judge {report.judge_id}: {report.graded} grades written, {report.calls} calls "
            f"({report.cached} answered from the cache, {report.skipped} already graded), "
            f"{report.failed} failed; judge tokens {report.input_tokens} in / "
            f"{report.output_tokens} out, cost {cost}, p50 latency "
            f"{number(report.latency_ms_p50, 'ms')}"
        )
    )
    for failure in report.failures[:5]:
        console.print(Text(f"  failed: {failure}"), style="yellow")


def render_rubric_results(
    store: Store, loaded: LoadedSuite, info: RunInfo, *, side_by_side: bool = False
) -> None:
    from fieldeval.report.rubric import render_rubric, render_side_by_side
    from fieldeval.results import rubric
    from fieldeval.store.grade_store import GradeStore

    grades = GradeStore(store)
    if side_by_side:
        pairs = rubric.side_by_side(grades.pair_grades(info.id), loaded.suite.rubric)
        render_side_by_side(pairs, console)
    else:
        given = grades.grades(info.id)
        results = rubric.rubric_results(given, loaded.suite.rubric)
        calibrations = rubric.rubric_calibration(given, loaded.suite.rubric, resamples=0)
        render_rubric(results, console, rubric.judge_warnings(results, calibrations))


def agreement(suite_path: Path, *, run_id: str | None, db: str | None) -> None:
    from fieldeval.human.session import GradingSession
    from fieldeval.report.rubric import render_agreement
    from fieldeval.results.rubric import rubric_agreement
    from fieldeval.store import Store
    from fieldeval.store.grade_store import GradeStore

    loaded = load_with_rubric(suite_path)
    store = Store.open(db)
    try:
        info = resolve_run(store, loaded, run_id)
        grades = GradeStore(store).grades(info.id)
        render_agreement(rubric_agreement(grades, loaded.suite.rubric), console)
        open_disagreements = [
            d
            for d in GradingSession(store, info.id, loaded.suite.rubric).disagreements()
            if d.settled is None
        ]
        if open_disagreements:
            console.print(
                f"{len(open_disagreements)} graded outputs where people disagree are not settled:"
                f" settle them with `fieldeval grade {suite_path} --disagreements`"
            )
    finally:
        store.close()


def calibrate(suite_path: Path, *, run_id: str | None, db: str | None) -> None:
    from fieldeval.report.rubric import render_calibration
    from fieldeval.results.rubric import rubric_calibration
    from fieldeval.store import Store
    from fieldeval.store.grade_store import GradeStore

    loaded = load_with_rubric(suite_path)
    store = Store.open(db)
    try:
        info = resolve_run(store, loaded, run_id)
        grades = GradeStore(store).grades(info.id)
        if not any(grade.grader_kind == "judge" for grade in grades):
            raise UserError(
                f"run {info.id} has no judge grades to calibrate",
                hint=f"grade it with the judge first: fieldeval judge {suite_path}",
            )
        render_calibration(rubric_calibration(grades, loaded.suite.rubric), console)
    finally:
        store.close()
