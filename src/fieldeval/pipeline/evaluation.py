"""`Evaluation`: a stored run read back whole, as `fieldeval.evaluate` returns it.

    result = fieldeval.evaluate("evals/suite.yaml")
    assert result.pass_rate("tone", candidate="gemma").lower > 0.8

Pass rates follow the run summary: among answered outputs (errors are counted apart and
named in the message), a check among the outputs it applied to, a rubric criterion among
outputs with a verdict (people's where there is one, else the judge's). Importing this
module is cheap: the store loads when a run is read.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

from fieldeval.errors import UserError
from fieldeval.pipeline.rate import RateResult
from fieldeval.records.run import OutputKey

if TYPE_CHECKING:
    from fieldeval.cost.report import CostReport
    from fieldeval.edges.rates import EdgeReport
    from fieldeval.failures.report import FailureReport
    from fieldeval.judge.grader import JudgeReport
    from fieldeval.production.estimates import ProductionEstimates
    from fieldeval.records.grade import Grade
    from fieldeval.records.run import RunInfo, StoredExample, StoredOutput
    from fieldeval.results.candidates import CandidatePair
    from fieldeval.results.run_data import RunData
    from fieldeval.results.summary import RunSummary
    from fieldeval.store import Store
    from fieldeval.suite.rubric import Criterion
    from fieldeval.suite.schema import Suite


@dataclass(frozen=True, repr=False)
class Evaluation:
    """A stored run read whole (`data`): the store may then close.

    `outputs` are those of the clean examples (quality, cost and failure figures count
    those); `edges` is the edge-case report when the run has variants. `summary`,
    `comparisons`, `failures()` and `cost()` are computed from `data`, on first use.
    """

    data: RunData
    rubric: tuple[Criterion, ...]
    store_url: str | None = None
    edges: EdgeReport | None = None
    judge_report: JudgeReport | None = None

    @property
    def run(self) -> RunInfo:
        return self.data.run

    @property
    def outputs(self) -> tuple[StoredOutput, ...]:
        return self.data.outputs

    @property
    def grades(self) -> tuple[Grade, ...]:
        return self.data.grades

    @property
    def examples(self) -> tuple[StoredExample, ...]:
        return self.data.examples

    @property
    def answered(self) -> int:
        """Outputs of the clean examples that are answers, not errors."""
        return sum(output.ok for output in self.outputs)

    def error_kinds(self) -> dict[str, int]:
        """How many outputs failed, by the kind of error, most first."""
        kinds = Counter(o.error_kind for o in self.outputs if o.error_kind is not None)
        return dict(kinds.most_common())

    def __repr__(self) -> str:
        # Short: pytest prints it in assertion messages, where every output would drown it.
        return (
            f"Evaluation(run {self.run.id}, suite {self.run.suite_name},"
            f" {len(self.outputs)} outputs of {', '.join(self.candidates)})"
        )

    @classmethod
    def from_run(
        cls,
        store: Store,
        run_id: str,
        *,
        judge_report: JudgeReport | None = None,
        edges: bool = True,
    ) -> Evaluation:
        """Read a stored run (id or unique prefix); `edges=False` leaves its edge report out."""
        from fieldeval.edges.clean_view import is_variant
        from fieldeval.results.rubric import run_rubric
        from fieldeval.results.run_data import read_run

        data = read_run(store, run_id)
        report = None
        if edges and any(is_variant(example) for example in data.examples):
            from fieldeval.edges.rates import edge_report

            report = edge_report(store, data.run.id, examples=data.examples)
        return cls(
            data=data,
            rubric=run_rubric(data.run),
            store_url=store.url,
            edges=report,
            judge_report=judge_report,
        )

    @cached_property
    def summary(self) -> RunSummary:
        """Each candidate's rates with their intervals, errors, latencies and tokens."""
        from fieldeval.results.summary import example_clusters, summarize

        clusters = example_clusters(self.run, self.examples)
        return summarize(self.run, self.outputs, clusters=clusters)

    @cached_property
    def comparisons(self) -> tuple[CandidatePair, ...]:
        """Every pair of candidates, paired on their examples (McNemar, Holm-corrected)."""
        from fieldeval.results.candidates import compare_candidates

        return compare_candidates(self.outputs, self.run.candidates)

    @cached_property
    def production(self) -> ProductionEstimates | None:
        """Each rate weighted to production, for a dataset drawn by `fieldeval sample`."""
        from fieldeval.results.weighted import weighted_estimates

        return weighted_estimates(self.run, self.outputs, self.examples, self.grades)

    def failures(self) -> FailureReport:
        """The failure analysis: modes by severity, systematic or random, per candidate."""
        from fieldeval.failures.report import failure_report

        return failure_report(self._suite(), self.data)

    def cost(self) -> CostReport:
        """Spend, cost per request and per success, and a month at the suite's volume."""
        from fieldeval.cost.report import cost_report

        return cost_report(self._suite(), self.data)

    def _suite(self) -> Suite:
        from fieldeval.suite.schema import Suite

        return Suite.model_validate(self.run.suite)

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
        from fieldeval.stats.intervals import wilson

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
        from fieldeval.results.rubric import current, human_verdicts, judge_verdicts

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
        order = {OutputKey.of(o): i for i, o in enumerate(self.outputs)}
        found = sorted(
            (
                (order.get(key, len(order)), key[1], verdict)
                for key, verdict in verdicts.items()
                if key[0] == candidate and verdict is not None
            ),
        )
        return [(example, verdict) for _, example, verdict in found]
