"""Pass rates per slice value (`dataset.slices`), and the candidates compared within each.

A slice value's rate is over its examples (repeats aggregated within an example, as
everywhere); candidates are compared on the examples of that value both answered (McNemar
mid-p with the Agresti–Min interval), Holm-adjusted across every slice value and pair of the
run: looking at twenty values is twenty chances to see a difference that is not there.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import combinations
from typing import Final

from fieldeval.records.run import StoredExample, StoredOutput
from fieldeval.results.candidates import named_verdict, pair_verdict
from fieldeval.results.repeats import stability
from fieldeval.stats.intervals import Proportion, rate_over_examples
from fieldeval.stats.paired import PairedBinary, holm, mcnemar

# The values shown per slice field, most examples first; the rest are counted, not tabled.
MAX_VALUES: Final = 20


@dataclass(frozen=True)
class SlicePair:
    a: str
    b: str
    paired: PairedBinary  # a's pass rate − b's, on the value's examples both answered
    adjusted_p: float  # Holm across every slice value and pair of the run

    @property
    def verdict(self) -> str:
        """`a better` named as the candidate, as the run's pairs are: "x better"."""
        return named_verdict(self.a, self.b, pair_verdict(self.paired, self.adjusted_p))


@dataclass(frozen=True)
class SliceValue:
    value: str
    examples: int  # the run's examples with this value (sampled runs: those it ran)
    rates: dict[str, Proportion]  # candidate -> pass rate over its answered examples here
    pairs: tuple[SlicePair, ...]

    def pair(self, a: str, b: str) -> SlicePair | None:
        """a against b here; None when no example of this value was answered by both."""
        return next((p for p in self.pairs if (p.a, p.b) == (a, b)), None)


@dataclass(frozen=True)
class SliceField:
    field: str
    values: tuple[SliceValue, ...]  # at most MAX_VALUES, most examples first
    hidden: int  # values left out of `values`, with fewer examples

    @property
    def pairs(self) -> tuple[tuple[str, str], ...]:
        """Every (a, b) compared on some value, in the run's candidate order."""
        seen = {(p.a, p.b): None for value in self.values for p in value.pairs}
        return tuple(seen)


def slice_results(
    outputs: Sequence[StoredOutput],
    examples: Sequence[StoredExample],
    candidate_ids: Sequence[str],
) -> tuple[SliceField, ...]:
    """Per slice field and value: each candidate's pass rate, and the pairs compared."""
    passes: dict[tuple[str, str], list[bool]] = defaultdict(list)
    for output in outputs:
        if output.ok:
            passes[(output.candidate_id, output.example_id)].append(output.passed)
    fraction = {
        (s.candidate_id, s.example_id): s.fraction >= 0.5 for s in stability(outputs) if s.runs
    }
    by_value: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    ran = {output.example_id for output in outputs}
    for example in examples:
        if example.id not in ran:
            continue  # a sampled run left it out
        for name, value in example.slices.items():
            by_value[name][value].append(example.id)
    Row = tuple[str, int, dict[str, Proportion]]
    drafts: list[tuple[str, list[Row], int]] = []
    tests: list[tuple[str, str, str, str, PairedBinary]] = []
    for name in sorted(by_value):
        if len(by_value[name]) < 2:
            continue  # one value (the clean originals' `edge: clean`): the overall rate again
        ordered = sorted(by_value[name].items(), key=lambda item: (-len(item[1]), item[0]))
        shown = ordered[:MAX_VALUES]
        rows: list[Row] = []
        for value, ids in shown:
            rates = {
                candidate: rate_over_examples(
                    passes[(candidate, e)] for e in ids if (candidate, e) in passes
                )
                for candidate in candidate_ids
            }
            for a, b in combinations(candidate_ids, 2):
                shared = [e for e in ids if (a, e) in fraction and (b, e) in fraction]
                if shared:
                    paired = mcnemar(
                        [fraction[(a, e)] for e in shared], [fraction[(b, e)] for e in shared]
                    )
                    tests.append((name, value, a, b, paired))
            rows.append((value, len(ids), rates))
        drafts.append((name, rows, len(ordered) - len(shown)))
    adjusted = holm([test[4].p_value for test in tests])
    pairs: dict[tuple[str, str], list[SlicePair]] = defaultdict(list)
    for (name, value, a, b, paired), p in zip(tests, adjusted, strict=True):
        pairs[(name, value)].append(SlicePair(a, b, paired, p))
    return tuple(
        SliceField(
            name,
            tuple(
                SliceValue(value, count, rates, tuple(pairs[(name, value)]))
                for value, count, rates in rows
            ),
            hidden,
        )
        for name, rows, hidden in drafts
    )
