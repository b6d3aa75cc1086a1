"""A run's failure analysis: per candidate, systematic or random, and what to read first."""

from __future__ import annotations

from dataclasses import dataclass

from fieldeval.abstention.outcomes import judged_replies
from fieldeval.failures.labels import label_outputs
from fieldeval.failures.rates import CandidateFailures, LabelledOutput, candidate_failures
from fieldeval.failures.systematic import SystematicReport, systematic
from fieldeval.records.run import OutputKey, RunInfo
from fieldeval.results.run_data import RunData
from fieldeval.suite.failure_modes import SEVERITY_LEVEL, FailureMode
from fieldeval.suite.schema import Suite


@dataclass(frozen=True)
class LookFirst:
    """An output worth reading before anything else, and why."""

    candidate_id: str
    example_id: str
    repeat: int
    reason: str


@dataclass(frozen=True)
class FailureReport:
    run: RunInfo
    modes: tuple[FailureMode, ...]
    weights: dict[str, float]
    outputs: tuple[LabelledOutput, ...]
    candidates: tuple[CandidateFailures, ...]
    systematic: SystematicReport
    look_first: tuple[LookFirst, ...]


MAX_LOOK_FIRST = 20


def labelled_outputs(suite: Suite, data: RunData) -> list[LabelledOutput]:
    """Every answered output of the run with its failure modes, as the report counts them."""
    return label_outputs(
        suite,
        data.outputs,
        {example.id: example for example in data.examples},
        data.grades,
        data.labels,
        judged_replies(data.clean_judged),
    )


def failure_report(suite: Suite, data: RunData, *, seed: int = 0) -> FailureReport:
    """Label every answered output of the run and analyse the failure modes."""
    outputs_labelled = labelled_outputs(suite, data)
    modes = suite.counted_modes
    slice_names = tuple(suite.dataset.slices)
    found = systematic(outputs_labelled, modes, slice_names=slice_names)
    return FailureReport(
        run=data.run,
        modes=modes,
        weights=suite.weights,
        outputs=tuple(outputs_labelled),
        candidates=tuple(candidate_failures(outputs_labelled, modes, suite.weights, seed=seed)),
        systematic=found,
        look_first=tuple(_look_first(outputs_labelled, modes, found)),
    )


def _look_first(
    outputs: list[LabelledOutput], modes: tuple[FailureMode, ...], found: SystematicReport
) -> list[LookFirst]:
    """Examples every candidate fails first (often a bad example or an ambiguous task), then
    outputs with the most severe systematic modes."""
    chosen: list[LookFirst] = []
    seen: set[OutputKey] = set()
    everyone_fails = set(found.all_fail)
    examples = {output.example_id for output in outputs}
    # When every candidate fails most examples, the candidates are the problem, not the
    # examples: listing them all would bury the systematic modes below.
    if len(everyone_fails) <= len(examples) / 2:
        listed: set[str] = set()
        for output in outputs:
            key = OutputKey.of(output)
            if output.example_id in everyone_fails and output.example_id not in listed:
                listed.add(output.example_id)
                seen.add(key)
                chosen.append(
                    LookFirst(
                        *key,
                        reason="every candidate fails this example: check the example and the task",
                    )
                )
    by_id = {mode.id: mode for mode in modes}
    systematic_modes = sorted(
        (v.mode_id for v in found.verdicts if v.label == "systematic"),
        key=lambda mode_id: -SEVERITY_LEVEL[by_id[mode_id].severity],
    )
    for mode_id in systematic_modes:
        mode = by_id[mode_id]
        for output in outputs:
            key = OutputKey.of(output)
            if mode_id in output.modes and key not in seen:
                seen.add(key)
                chosen.append(
                    LookFirst(*key, reason=f"systematic {mode.severity} failure: {mode.id}")
                )
                break  # one per mode here; the failure browser lists the rest
    return chosen[:MAX_LOOK_FIRST]
