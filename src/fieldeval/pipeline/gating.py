"""`gate`: a run against its baseline, judged by the later run's `gate:` rules."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from fieldeval.errors import SuiteError, UserError

if TYPE_CHECKING:
    from fieldeval.records.run import RunInfo
    from fieldeval.results.compare import RunComparison
    from fieldeval.results.gate import GateResult
    from fieldeval.store import Store


@dataclass(frozen=True)
class Gating:
    """The gate's verdict, the comparison it read, and the two runs compared."""

    result: GateResult
    comparison: RunComparison
    baseline: RunInfo
    run: RunInfo

    @property
    def passed(self) -> bool:
        return self.result.passed


def gate(
    *,
    db: str | None = None,
    run: str | None = None,
    baseline: str | None = None,
    suite: str | Path | None = None,
) -> Gating:
    """Gate `run` (default: the latest finished run) against `baseline` (default: the one
    finished just before it, of the same suite). `suite` names the suite when no run is named.
    """
    from pydantic import ValidationError

    from fieldeval.results.compare import compare_runs
    from fieldeval.results.gate import evaluate_gate
    from fieldeval.store import Store
    from fieldeval.suite.loader import load_suite
    from fieldeval.suite.schema import Gate

    suite_name = load_suite(Path(suite)).suite.task.name if suite else None
    store = Store.open(db)
    try:
        before, after = gate_runs(store, baseline=baseline, run=run, suite_name=suite_name)
        comparison = compare_runs(store, before.id, after.id)
    finally:
        store.close()
    try:
        # The later run's rules: a change that loosens the gate shows up in `compare`.
        spec = Gate.model_validate(after.suite.get("gate", {}))
    except ValidationError as error:
        raise SuiteError(
            f"run {after.id}: its stored `gate:` section is invalid: {error}"
        ) from None
    return Gating(evaluate_gate(comparison, spec), comparison, before, after)


def gate_runs(
    store: Store, *, baseline: str | None, run: str | None, suite_name: str | None
) -> tuple[RunInfo, RunInfo]:
    """The baseline and the run to gate; unnamed ones are the latest finished runs.

    No `--run`: the latest finished run of the suite. No `--baseline`: the finished run of
    the same suite just before the gated one.
    """
    after = store.run(run) if run else None
    before = store.run(baseline) if baseline else None
    named = after or before
    name = named.suite_name if named else suite_name
    finished = [r for r in store.runs(suite_name=name, limit=1000) if r.status == "finished"]
    if name is None and finished:
        name = finished[0].suite_name  # no suite named anywhere: the store's latest
        finished = [r for r in finished if r.suite_name == name]
    which = f"of suite {name!r}" if name else "in the store"
    if after is None:
        later = [r for r in finished if before is None or r.started_at > before.started_at]
        if not later:
            raise UserError(
                f"no finished run {which} to gate"
                + (f" after baseline {before.id}" if before else ""),
                hint="run the suite, or name the run with --run",
            )
        after = later[0]
    if before is None:
        earlier = [r for r in finished if r.started_at < after.started_at]
        if not earlier:
            raise UserError(
                f"no finished run {which} before run {after.id} to use as the baseline",
                hint="run the suite on the base commit first, or pass --baseline RUN",
            )
        before = earlier[0]
    if before.id == after.id:
        raise UserError(f"the baseline and the gated run are the same run {after.id}")
    for info in (before, after):
        if info.status != "finished":
            raise UserError(
                f"run {info.id} is {info.status}: a gate on part of the examples could miss "
                "a regression",
                hint=f"finish it with `fieldeval run {info.suite_path} --resume-run {info.id}`",
            )
    return before, after
