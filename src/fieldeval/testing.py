"""Assert on a suite's results inside a team's own tests.

    result = evaluate("evals/suite.yaml")
    assert result.pass_rate("tone", candidate="gemma").lower > 0.8

Pass rates follow the run summary: among answered outputs (errors are counted apart and
named in the message), a check among the outputs it applied to, a rubric criterion among
outputs with a verdict (people's where there is one, else the judge's). Importing this module
is cheap: the store and runner load when a suite is evaluated.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from fieldeval.errors import UserError

if TYPE_CHECKING:
    from fieldeval.store import RunInfo, Store, StoredOutput
    from fieldeval.store.grade_store import Grade
    from fieldeval.suite.rubric import Criterion

SHOWN_FAILURES = 5


def _percent(value: float) -> str:
    return f"{value * 100:.0f}%"


@dataclass(frozen=True)
class RateResult:
    """k of n passed, with a 95% Wilson interval; compares to a number by its point value."""

    name: str
    candidate: str
    k: int
    n: int
    lower: float
    upper: float
    failing: tuple[str, ...] = ()  # the failing outputs' example ids, in run order
    errors: int = 0  # outputs that errored, left out of n

    @property
    def value(self) -> float | None:
        """k / n; None when nothing was counted."""
        return self.k / self.n if self.n else None

    def __str__(self) -> str:
        if self.value is None:
            return f"{self.name} for {self.candidate}: no outputs counted (0/0)"
        return (
            f"{self.name} for {self.candidate}: {_percent(self.value)} ({self.k}/{self.n}),"
            f" 95% CI {_percent(self.lower)}–{_percent(self.upper)}"
        )

    def __repr__(self) -> str:
        # pytest prints this beside `.lower` or `.value` when an assertion on them fails.
        failing = f"; failing: {self.failing_summary()}" if self.failing else ""
        errors = f"; {self.errors} errored, not counted" if self.errors else ""
        return f"RateResult({self}{failing}{errors})"

    def failing_summary(self, shown: int = SHOWN_FAILURES) -> str:
        """The first failing example ids, and how many more there are."""
        more = len(self.failing) - shown
        return ", ".join(self.failing[:shown]) + (f" (+{more} more)" if more > 0 else "")

    def explain(self) -> list[str]:
        """Lines for a failed assertion: the rate, its interval, n and what failed."""
        lines = [str(self)]
        if self.value is not None:
            lines.append(
                f"pass rate {self.value:.3f} over n={self.n}; 95% interval"
                f" [{self.lower:.3f}, {self.upper:.3f}]"
            )
        if self.failing:
            lines.append(f"failing outputs (example ids): {self.failing_summary()}")
        if self.errors:
            lines.append(f"{self.errors} outputs errored and are not counted in n")
        return lines

    def _point(self, other: object) -> tuple[float, float] | None:
        theirs = other.value if isinstance(other, RateResult) else other
        if self.value is None or not isinstance(theirs, int | float):
            return None
        return self.value, float(theirs)

    def __lt__(self, other: object) -> bool:
        pair = self._point(other)
        return pair is not None and pair[0] < pair[1]

    def __le__(self, other: object) -> bool:
        pair = self._point(other)
        return pair is not None and pair[0] <= pair[1]

    def __gt__(self, other: object) -> bool:
        pair = self._point(other)
        return pair is not None and pair[0] > pair[1]

    def __ge__(self, other: object) -> bool:
        pair = self._point(other)
        return pair is not None and pair[0] >= pair[1]


@dataclass(frozen=True, repr=False)
class SuiteResult:
    """A stored run read whole: its outputs, rubric and grades; the store may then close."""

    run: RunInfo
    outputs: tuple[StoredOutput, ...]
    rubric: tuple[Criterion, ...]
    grades: tuple[Grade, ...]

    def __repr__(self) -> str:
        # Short: pytest prints it in assertion messages, where every output would drown it.
        return (
            f"SuiteResult(run {self.run.id}, suite {self.run.suite_name},"
            f" {len(self.outputs)} outputs of {', '.join(self.candidates)})"
        )

    @classmethod
    def from_run(cls, store: Store, run_id: str) -> SuiteResult:
        """Read a stored run (id or unique prefix)."""
        from fieldeval.analysis.rubric import run_rubric
        from fieldeval.store.grade_store import GradeStore

        run = store.run(run_id)
        rubric = run_rubric(run)
        return cls(
            run=run,
            outputs=tuple(store.outputs(run.id)),
            rubric=rubric,
            grades=tuple(GradeStore(store).grades(run.id)),
        )

    @property
    def run_id(self) -> str:
        return self.run.id

    @property
    def candidates(self) -> tuple[str, ...]:
        return self.run.candidates

    @property
    def check_ids(self) -> tuple[str, ...]:
        return tuple(str(check["id"]) for check in self.run.suite.get("checks", ()))

    def pass_rate(self, name: str | None = None, *, candidate: str | None = None) -> RateResult:
        """Overall (`name` None: every check passed), one check's, or one criterion's rate."""
        from fieldeval.analysis.stats import wilson

        chosen = self._candidate(candidate)
        mine = [o for o in self.outputs if o.candidate_id == chosen]
        answered = [o for o in mine if o.ok]
        errors = len(mine) - len(answered)
        if name is None:
            verdicts = [(o.example_id, o.passed) for o in answered]
            label = "pass rate"
        elif name in self.check_ids:
            verdicts = [
                (o.example_id, check.passed)
                for o in answered
                for check in o.checks
                if check.check_id == name
            ]
            label = name
        else:
            verdicts = self._criterion_verdicts(name, chosen)
            label = name
        k = sum(passed for _, passed in verdicts)
        rate = wilson(k, len(verdicts))
        return RateResult(
            name=label,
            candidate=chosen,
            k=k,
            n=len(verdicts),
            lower=float(rate.low),
            upper=float(rate.high),
            failing=tuple(example for example, passed in verdicts if not passed),
            errors=errors,
        )

    def _candidate(self, candidate: str | None) -> str:
        names = ", ".join(self.candidates)
        if candidate is None:
            if len(self.candidates) == 1:
                return self.candidates[0]
            raise UserError(
                f"run {self.run.id} has {len(self.candidates)} candidates ({names})",
                hint="name one: pass_rate(..., candidate='ID')",
            )
        if candidate not in self.candidates:
            raise UserError(
                f"no candidate {candidate!r} in run {self.run.id} (candidates: {names})"
            )
        return candidate

    def _criterion_verdicts(self, name: str, candidate: str) -> list[tuple[str, bool]]:
        from fieldeval.analysis.rubric import current, human_verdicts, judge_verdicts

        criterion = next((c for c in self.rubric if c.id == name), None)
        if criterion is None:
            known = [*self.check_ids, *(c.id for c in self.rubric)]
            raise UserError(
                f"{name!r} is neither a check nor a rubric criterion of run {self.run.id}",
                hint=f"use one of: {', '.join(known) or '(none)'}, or no name for the overall rate",
            )
        grades = current(self.grades, self.rubric)
        verdicts = judge_verdicts(grades, criterion)
        # People's verdict wins where they gave one: the judge is calibrated against them.
        verdicts.update(
            {k: v for k, v in human_verdicts(grades, criterion).items() if v is not None}
        )
        order = {(o.candidate_id, o.example_id, o.repeat): i for i, o in enumerate(self.outputs)}
        found = sorted(
            (
                (order.get(key, len(order)), key[1], verdict)
                for key, verdict in verdicts.items()
                if key[0] == candidate and verdict is not None
            ),
        )
        return [(example, verdict) for _, example, verdict in found]


def evaluate(
    suite_path: str | Path, *, db: str | None = None, sample: int | None = None
) -> SuiteResult:
    """Run the suite (answers already in the store come from its cache) and read the run.

    `db` is a store URL or SQLite path (default: .fieldeval/fieldeval.db). With `sample`,
    only that many examples are run. A suite with a judge is judged after the run, as
    `fieldeval run` does.
    """
    from fieldeval.data.dataset import load_dataset
    from fieldeval.runner import run_suite
    from fieldeval.store import Store
    from fieldeval.suite.loader import load_suite
    from fieldeval.suite.schema import Sample

    loaded = load_suite(Path(suite_path))
    spec = loaded.suite.dataset
    if sample is not None:
        spec = spec.model_copy(update={"sample": Sample(n=sample)})
    dataset = load_dataset(spec, base_dir=loaded.base_dir)
    store = Store.open(db)
    try:
        info = run_suite(loaded, store, dataset=dataset)
        judge = loaded.suite.judge
        if judge is not None and judge.after_run and _judged(loaded.suite.rubric):
            from fieldeval.grading.judge import run_judge

            run_judge(store, loaded, info.id)
        return SuiteResult.from_run(store, info.id)
    finally:
        store.close()


def _judged(rubric: Sequence[Criterion]) -> bool:
    return any(criterion.judge for criterion in rubric)
