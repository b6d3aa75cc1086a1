"""Rubric results from the stored grades: pass rates, agreement between people, the judge's errors.

Only grades under a criterion's current version count: a grade given before the criterion was
edited answered a different question.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Literal

from pydantic import TypeAdapter

from fieldeval.judge.corrected import CorrectedRate, JudgedOutput, corrected_rate
from fieldeval.records.grade import Grade, PairGrade
from fieldeval.records.run import OutputKey, RunInfo
from fieldeval.stats.intervals import Rate, wilson
from fieldeval.stats.preference import (
    Choice,
    PairPreference,
    PositionBias,
    position_bias,
    preferences,
)
from fieldeval.suite.rubric import Criterion

if TYPE_CHECKING:  # both need numpy, which a run with no rubric never imports
    from fieldeval.judge.calibration import Calibration
    from fieldeval.stats.agreement import Agreement

_RUBRIC = TypeAdapter(tuple[Criterion, ...])
Source = Literal["people", "judge"]


@dataclass(frozen=True)
class CriterionResult:
    """One candidate's pass rate on one criterion, as people or the judge graded it."""

    criterion_id: str
    candidate_id: str
    source: Source
    rate: Rate  # passes among outputs with a verdict (n/a and undecided left out)
    not_applicable: int
    undecided: int  # people split evenly and nobody settled it


def run_rubric(run: RunInfo) -> tuple[Criterion, ...]:
    """The rubric as it stood when the run was made (the run keeps its suite)."""
    return stored_rubric(run.suite)


def stored_rubric(suite: Mapping[str, Any]) -> tuple[Criterion, ...]:
    """The rubric of a suite as a run stores it."""
    return _RUBRIC.validate_python(suite.get("rubric") or ())


def current(grades: Iterable[Grade], rubric: Sequence[Criterion]) -> list[Grade]:
    """The grades given under each criterion's current version."""
    versions = {criterion.id: criterion.version for criterion in rubric}
    return [
        grade for grade in grades if versions.get(grade.criterion_id) == grade.criterion_version
    ]


def _output(grade: Grade) -> OutputKey:
    return OutputKey.of(grade)


def human_verdicts(grades: Iterable[Grade], criterion: Criterion) -> dict[OutputKey, bool | None]:
    """Per output: the settled grade if any, else the majority of people; None for n/a or a tie.

    An output whose only human grades are n/a maps to None as well; outputs nobody graded are
    absent.
    """
    people: dict[OutputKey, list[int | None]] = defaultdict(list)
    settled: dict[OutputKey, int | None] = {}
    for grade in grades:
        if grade.criterion_id != criterion.id:
            continue
        if grade.grader_kind == "adjudicated":
            settled[_output(grade)] = grade.value
        elif grade.grader_kind == "human":
            people[_output(grade)].append(grade.value)
    verdicts: dict[OutputKey, bool | None] = {}
    for output, values in people.items():
        graded = [criterion.passes(value) for value in values if value is not None]
        passes = sum(graded)
        fails = len(graded) - passes
        verdicts[output] = None if passes == fails else passes > fails
    for output, value in settled.items():
        verdicts[output] = None if value is None else criterion.passes(value)
    return verdicts


def judge_verdicts(grades: Iterable[Grade], criterion: Criterion) -> dict[OutputKey, bool | None]:
    """Per output the judge's verdict (None for n/a); with several judges, the latest wins."""
    verdicts: dict[OutputKey, bool | None] = {}
    for grade in grades:
        if grade.criterion_id == criterion.id and grade.grader_kind == "judge":
            verdicts[_output(grade)] = (
                None if grade.value is None else criterion.passes(grade.value)
            )
    return verdicts


def failing_outputs(
    grades: Iterable[Grade], rubric: Sequence[Criterion]
) -> dict[str, set[OutputKey]]:
    """criterion id -> the outputs whose verdict on it is fail: people's where they gave
    one, else the judge's. `grades` are taken as given (pass them through `current`)."""
    grades = list(grades)
    failing: dict[str, set[OutputKey]] = {}
    for criterion in rubric:
        verdicts = {**judge_verdicts(grades, criterion)}
        verdicts.update(
            {key: v for key, v in human_verdicts(grades, criterion).items() if v is not None}
        )
        failing[criterion.id] = {key for key, verdict in verdicts.items() if verdict is False}
    return failing


def rubric_results(grades: Sequence[Grade], rubric: Sequence[Criterion]) -> list[CriterionResult]:
    """Per criterion, candidate and source (people, judge): the pass rate with its interval."""
    grades = current(grades, rubric)
    results: list[CriterionResult] = []
    for criterion in rubric:
        sources: tuple[tuple[Source, dict[OutputKey, bool | None]], ...] = (
            ("people", human_verdicts(grades, criterion)),
            ("judge", judge_verdicts(grades, criterion)),
        )
        na = _not_applicable(grades, criterion)
        for source, verdicts in sources:
            by_candidate: dict[str, list[bool | None]] = defaultdict(list)
            for (candidate, _example, _repeat), verdict in verdicts.items():
                by_candidate[candidate].append(verdict)
            for candidate in sorted(by_candidate):
                values = by_candidate[candidate]
                decided = [v for v in values if v is not None]
                not_applicable = na[source].get(candidate, 0)
                results.append(
                    CriterionResult(
                        criterion_id=criterion.id,
                        candidate_id=candidate,
                        source=source,
                        rate=wilson(sum(decided), len(decided)),
                        not_applicable=not_applicable,
                        undecided=len(values) - len(decided) - not_applicable,
                    )
                )
    return results


def _not_applicable(grades: Sequence[Grade], criterion: Criterion) -> dict[Source, dict[str, int]]:
    """Outputs whose final verdict is n/a, per source and candidate."""
    counts: dict[Source, dict[str, int]] = {"people": defaultdict(int), "judge": defaultdict(int)}
    people: dict[OutputKey, list[int | None]] = defaultdict(list)
    for grade in grades:
        if grade.criterion_id != criterion.id:
            continue
        if grade.grader_kind == "judge" and grade.value is None:
            counts["judge"][grade.candidate_id] += 1
        elif grade.grader_kind in ("human", "adjudicated"):
            people[_output(grade)].append(grade.value)
    for output, values in people.items():
        if all(value is None for value in values):
            counts["people"][output[0]] += 1
    return counts


def agreement_units(grades: Iterable[Grade], criterion: Criterion) -> dict[str, dict[str, int]]:
    """Unit (an output) -> person -> value, for the agreement statistics; n/a left out."""
    units: dict[str, dict[str, int]] = defaultdict(dict)
    for grade in grades:
        if (
            grade.criterion_id == criterion.id
            and grade.grader_kind == "human"
            and grade.value is not None
        ):
            unit = f"{grade.candidate_id}\x1f{grade.example_id}\x1f{grade.repeat}"
            units[unit][grade.grader] = grade.value
    return dict(units)


def rubric_agreement(
    grades: Sequence[Grade], rubric: Sequence[Criterion], *, seed: int = 0
) -> list[Agreement]:
    """Agreement between people per criterion, on outputs two or more of them graded."""
    from fieldeval.stats.agreement import agreement

    grades = current(grades, rubric)
    return [
        agreement(
            agreement_units(grades, criterion),
            criterion_id=criterion.id,
            level="ordinal" if criterion.ordinal else "nominal",
            seed=seed,
        )
        for criterion in rubric
    ]


def rubric_calibration(
    grades: Sequence[Grade], rubric: Sequence[Criterion], *, seed: int = 0, resamples: int = 2000
) -> list[Calibration]:
    """The judge against people per criterion the judge grades, with each candidate's
    judge-corrected pass rate. `resamples=0` skips κ's bootstrap, for callers that only ask
    whether the judge stands in."""
    from fieldeval.judge.calibration import calibrate

    grades = current(grades, rubric)
    found: list[Calibration] = []
    for criterion in rubric:
        if not criterion.judge:
            continue
        people = human_verdicts(grades, criterion)
        judge = judge_verdicts(grades, criterion)
        pairs = [
            (human, verdict)
            for output, human in people.items()
            if human is not None and (verdict := judge.get(output)) is not None
        ]
        calibration = calibrate(pairs, criterion_id=criterion.id, seed=seed, resamples=resamples)
        found.append(replace(calibration, corrected=corrected_rates(people, judge, criterion.id)))
    return found


def corrected_rates(
    people: dict[OutputKey, bool | None],
    judge: dict[OutputKey, bool | None],
    criterion_id: str,
) -> tuple[CorrectedRate, ...]:
    """Per candidate the judge graded: its pass rate corrected by people's grades."""
    by_candidate: dict[str, list[JudgedOutput]] = defaultdict(list)
    for output, verdict in sorted(judge.items()):
        if verdict is not None:
            judged = JudgedOutput(output.example_id, verdict, people.get(output))
            by_candidate[output.candidate_id].append(judged)
    return tuple(
        corrected_rate(outputs, candidate_id=candidate, criterion_id=criterion_id)
        for candidate, outputs in sorted(by_candidate.items())
    )


@dataclass(frozen=True)
class SideBySide:
    """Side-by-side choices on one criterion, by people or by the judge."""

    criterion_id: str
    source: Source
    pairs: list[PairPreference]
    position: PositionBias


def side_by_side(pairs: Sequence[PairGrade], rubric: Sequence[Criterion]) -> list[SideBySide]:
    """Win rates per criterion and source, and whether the left side was favoured."""
    versions = {criterion.id: criterion.version for criterion in rubric}
    grouped: dict[tuple[str, Source], list[Choice]] = defaultdict(list)
    for grade in pairs:
        if versions.get(grade.criterion_id) != grade.criterion_version:
            continue
        source: Source = "judge" if grade.grader_kind == "judge" else "people"
        grouped[(grade.criterion_id, source)].append(
            Choice(grade.left_candidate, grade.right_candidate, grade.winner, grade.example_id)
        )
    return [
        SideBySide(criterion_id, source, preferences(choices), position_bias(choices))
        for (criterion_id, source), choices in sorted(grouped.items())
    ]


# Below this many verdicts a judge that gave one answer to all of them may simply be right.
_CONSTANT_AFTER = 10


def judge_warnings(
    results: Sequence[CriterionResult], calibrations: Sequence[Calibration]
) -> list[str]:
    """Per judged criterion, what makes the judge's rates unsafe to read as they stand.

    A judge whose verdicts never vary (every one of 10 or more outputs, all candidates, the
    same) says nothing about any of them; one not shown to stand in for people (`calibrate`)
    gives rates that are its own, not people's.
    """
    standing = {c.criterion_id: c for c in calibrations}
    warnings = []
    for criterion_id in dict.fromkeys(r.criterion_id for r in results if r.source == "judge"):
        rates = [r.rate for r in results if r.criterion_id == criterion_id and r.source == "judge"]
        graded, passed = sum(r.n for r in rates), sum(r.k for r in rates)
        if graded >= _CONSTANT_AFTER and passed in (0, graded):
            verdict = "passed" if passed else "failed"
            warnings.append(
                f"{criterion_id}: the judge {verdict} all {graded} outputs it graded; a judge "
                "that never varies tells the candidates apart no better than a constant."
            )
        calibration = standing.get(criterion_id)
        if calibration is None or not calibration.stands_in:
            warnings.append(
                f"{criterion_id}: the judge's rates are uncalibrated (not shown to stand in for "
                "people): grade some outputs and run fieldeval calibrate."
            )
    return warnings
