"""Per candidate: how often it answers, how good its answers are, how often it is
confidently wrong, and how often it refuses what it could have answered.

Over the n examples a candidate answered at all (the example is the unit, see
`abstention.outcomes`), each a Wilson 95% interval:

    answered             (right + wrong + answered) / n
    abstained            abstained / n
    broke format         broke_format / n
    right when answering right / (right + wrong)        correctness known only
    confidently wrong    wrong / n                      answered, and wrong
    over-abstention      abstained on answerable examples / answerable examples
    answered unanswerable  answered on unanswerable examples / unanswerable examples

Risk–coverage, when the candidate states a confidence on at least half of its answers:
its answers sorted by confidence, highest first; keeping those at or above each threshold
t, coverage(t) = kept / n and risk(t) = wrong among kept / kept. The area under the curve
(AURC) is the mean of risk(t) over the kept answers in that order (lower is better).
Formulas: docs/metrics.md, "Abstention".
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from fieldeval.abstention.outcomes import (
    ExampleResult,
    JudgedReply,
    Reading,
    ReadOutput,
    example_results,
    judged_replies,
    read_outputs,
)
from fieldeval.checks.labels import label_set
from fieldeval.records.grade import Grade
from fieldeval.records.run import OutputKey, StoredExample, StoredOutput
from fieldeval.results.rubric import current, failing_outputs, stored_rubric
from fieldeval.results.run_data import RunData
from fieldeval.stats.intervals import Rate, wilson

MIN_CONFIDENCE_SHARE: Final = 0.5  # of a candidate's answers, to draw risk–coverage


@dataclass(frozen=True)
class CoveragePoint:
    threshold: float  # the confidence at or above which answers are kept
    coverage: float  # kept / n
    risk: Rate  # wrong among the kept


@dataclass(frozen=True)
class RiskCoverage:
    points: tuple[CoveragePoint, ...]  # highest threshold first
    aurc: float
    stated: int  # answers with a confidence
    answers: int  # answers whose correctness is known

    def at_coverage(self, share: float) -> CoveragePoint | None:
        """The point keeping the fewest answers that still covers `share` of the examples."""
        return next((p for p in self.points if p.coverage >= share - 1e-9), None)


@dataclass(frozen=True)
class AbstentionRates:
    candidate_id: str
    n: int
    answered: Rate
    abstained: Rate
    broke_format: Rate
    right_when_answering: Rate | None  # None: nothing grades right from wrong
    confidently_wrong: Rate | None
    over_abstention: Rate | None  # None: no answerable examples
    answered_unanswerable: Rate | None  # None: every example has an answer
    risk_coverage: RiskCoverage | None
    stated_confidence: int  # answers that state a confidence


@dataclass(frozen=True)
class AbstentionReport:
    candidates: tuple[AbstentionRates, ...]
    decided_by: Mapping[str, int]  # rule / judge / format / answered -> outputs
    unanswerable: int  # examples whose right answer is "I don't know"
    examples: int
    judged: bool  # the suite's judge read what the rules call an answer
    outputs: tuple[ReadOutput, ...]
    declared: bool = False  # the suite has an `abstention:` section

    def of(self, candidate_id: str) -> AbstentionRates | None:
        return next((c for c in self.candidates if c.candidate_id == candidate_id), None)

    @property
    def shown(self) -> bool:
        """Worth a section: the suite asks for it, something did not answer, or some example
        has no answer."""
        return (
            self.declared
            or self.unanswerable > 0
            or any(c.abstained.k or c.broke_format.k for c in self.candidates)
        )


def abstention_report(
    outputs: Sequence[StoredOutput],
    examples: Sequence[StoredExample],
    candidates: Sequence[str],
    reading: Reading,
    *,
    judged: Mapping[OutputKey, JudgedReply] | None = None,
    failed_criteria: frozenset[OutputKey] = frozenset(),
) -> AbstentionReport:
    """Every output read, and each candidate's rates over its examples."""
    by_id = {example.id: example for example in examples}
    read = read_outputs(outputs, by_id, reading, judged=judged, failed_criteria=failed_criteria)
    results = example_results(read, by_id, reading)
    rows = tuple(
        candidate_rates(candidate, [r for r in results if r.candidate_id == candidate], reading)
        for candidate in candidates
    )
    return AbstentionReport(
        candidates=rows,
        decided_by=dict(Counter(item.decided_by for item in read)),
        unanswerable=sum(not reading.answerable(example) for example in examples),
        examples=len(examples),
        judged=reading.settings.judge and bool(judged),
        outputs=tuple(read),
        declared=reading.declared,
    )


def run_abstention(
    suite: Mapping[str, Any],
    outputs: Sequence[StoredOutput],
    examples: Sequence[StoredExample],
    candidates: Sequence[str],
    *,
    judged: Mapping[OutputKey, JudgedReply] | None = None,
    grades: Sequence[Grade] = (),
) -> AbstentionReport:
    """The report for a stored run: its suite (as `RunInfo.suite` holds it), its clean
    outputs and examples, the judge's stored classes and the rubric's grades."""
    rubric = stored_rubric(suite)
    failing = failing_outputs(current(grades, rubric), rubric)
    failed = frozenset(key for keys in failing.values() for key in keys)
    reading = Reading.of(suite, label_set(suite, examples))
    return abstention_report(
        outputs, examples, candidates, reading, judged=judged, failed_criteria=failed
    )


def abstention_of(data: RunData) -> AbstentionReport:
    """The report for a run read once (`results.run_data.read_run`)."""
    return run_abstention(
        data.run.suite,
        data.outputs,
        data.clean_examples,
        data.run.candidates,
        judged=judged_replies(data.clean_judged),
        grades=data.grades,
    )


def candidate_rates(
    candidate_id: str, results: Sequence[ExampleResult], reading: Reading
) -> AbstentionRates:
    n = len(results)
    count = Counter(r.result for r in results)
    answered = count["right"] + count["wrong"] + count["answered"]
    graded = count["right"] + count["wrong"]
    answerable = [r for r in results if r.answerable]
    unanswerable = [r for r in results if not r.answerable]
    knows = reading.graded or bool(unanswerable)
    return AbstentionRates(
        candidate_id=candidate_id,
        n=n,
        answered=wilson(answered, n),
        abstained=wilson(count["abstained"], n),
        broke_format=wilson(count["broke_format"], n),
        right_when_answering=wilson(count["right"], graded) if graded and knows else None,
        confidently_wrong=wilson(count["wrong"], n) if knows and n else None,
        over_abstention=(
            wilson(sum(r.result == "abstained" for r in answerable), len(answerable))
            if answerable
            else None
        ),
        answered_unanswerable=(
            wilson(
                sum(r.result in ("right", "wrong", "answered") for r in unanswerable),
                len(unanswerable),
            )
            if unanswerable
            else None
        ),
        risk_coverage=risk_coverage(results),
        stated_confidence=sum(
            r.confidence is not None for r in results if r.result in ("right", "wrong", "answered")
        ),
    )


def risk_coverage(results: Sequence[ExampleResult]) -> RiskCoverage | None:
    """The risk–coverage curve of the answers whose correctness is known, or None when fewer
    than `MIN_CONFIDENCE_SHARE` of them state a confidence."""
    answers = [r for r in results if r.result in ("right", "wrong")]
    stated = sorted(
        (r for r in answers if r.confidence is not None),
        key=lambda r: r.confidence or 0.0,
        reverse=True,
    )
    if not stated or len(stated) < MIN_CONFIDENCE_SHARE * len(answers):
        return None
    n = len(results)
    points: list[CoveragePoint] = []
    risks: list[float] = []
    wrong = 0
    for index, result in enumerate(stated, start=1):
        wrong += result.result == "wrong"
        risks.append(wrong / index)
        following = stated[index].confidence if index < len(stated) else None
        if following != result.confidence:  # the last answer at this threshold
            threshold = result.confidence or 0.0
            points.append(CoveragePoint(threshold, index / n, wilson(wrong, index)))
    return RiskCoverage(
        points=tuple(points),
        aurc=sum(risks) / len(risks),
        stated=len(stated),
        answers=len(answers),
    )
