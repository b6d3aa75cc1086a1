"""Which output a person should grade next: the one that narrows the judge-corrected pass rates
most (`fieldeval grade --order informative`).

Each output the judge graded and no person has yet sits in a stratum per judged criterion:
(criterion, candidate, the judge's verdict). Outputs go, one at a time, to the group of
strata whose summed `grading_gain` is largest, counting the grades already queued. Within a
group the grader's own shuffled order is kept, so each stratum is still graded at random,
which is what keeps the stratified estimate unbiased.
"""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Sequence

from fieldeval.human.session import Item
from fieldeval.records.grade import Grade
from fieldeval.records.run import OutputKey
from fieldeval.results.rubric import current, human_verdicts, judge_verdicts
from fieldeval.stats.stratified import Stratum, grading_gain
from fieldeval.suite.rubric import Criterion

StratumKey = tuple[str, str, bool]  # criterion id, candidate id, the judge passed


def informative_order(
    items: Sequence[Item], grades: Sequence[Grade], rubric: Sequence[Criterion]
) -> list[Item]:
    """`items` reordered: the most informative ungraded outputs first, then the rest as given."""
    grades = current(grades, rubric)
    counts: dict[StratumKey, list[int]] = defaultdict(lambda: [0, 0, 0])
    open_strata: dict[OutputKey, list[StratumKey]] = defaultdict(list)
    for criterion in rubric:
        if not criterion.judge:
            continue
        people = human_verdicts(grades, criterion)
        for output, verdict in judge_verdicts(grades, criterion).items():
            if verdict is None:
                continue
            key = (criterion.id, output.candidate_id, verdict)
            human = people.get(output)
            cell = counts[key]
            cell[0] += 1
            if human is None:
                open_strata[output].append(key)
            else:
                cell[1] += 1
                cell[2] += human
    groups: dict[tuple[StratumKey, ...], deque[Item]] = defaultdict(deque)
    rest = []
    for item in items:
        strata = open_strata.get(OutputKey(item.candidate_id, item.example_id, item.repeat))
        if strata:
            groups[tuple(sorted(strata))].append(item)
        else:
            rest.append(item)
    strata_of = {key: Stratum(*cell) for key, cell in counts.items()}
    totals: dict[tuple[str, str], int] = defaultdict(int)
    for (criterion_id, candidate_id, _side), stratum in strata_of.items():
        totals[(criterion_id, candidate_id)] += stratum.units
    planned: dict[StratumKey, int] = defaultdict(int)

    def gain(group: tuple[StratumKey, ...]) -> tuple[float, int]:
        summed = sum(
            grading_gain(strata_of[key], totals[key[:2]], planned=planned[key]) for key in group
        )
        # Among strata still owed their pilot (all gaining ∞), the least graded goes first.
        graded = min(strata_of[key].graded + planned[key] for key in group)
        return summed, -graded

    ordered = []
    while groups:
        best = max(groups, key=gain)
        ordered.append(groups[best].popleft())
        for key in best:
            planned[key] += 1
        if not groups[best]:
            del groups[best]
    return ordered + rest
