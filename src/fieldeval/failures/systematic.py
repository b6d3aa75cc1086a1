"""Systematic or random: failures concentrated in a slice, leaning one way, or stuck to examples.

A failure mode is systematic when (a) a slice value carries more of it than the rest
(Fisher exact test, Benjamini–Hochberg across the report), (b) its directional failures
lean one way (sign test against the opposite mode of its axis), or (c) with repeats, it
comes back on the same examples (binomial dispersion test). Otherwise it is random.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Literal

from fieldeval.failures.evidence import Consistency, DirectionTest, SliceTest
from fieldeval.failures.rates import LabelledOutput
from fieldeval.failures.reasons import (
    consistency_reason,
    direction_reason,
    p_text,
    slice_reason,
)
from fieldeval.stats.intervals import wilson
from fieldeval.stats.paired import benjamini_hochberg
from fieldeval.stats.significance import dispersion, fisher_risk, sign_test
from fieldeval.suite.failure_modes import FailureMode

# A slice or its complement with fewer outputs than this is a lead, not a finding.
_EXPLORATORY_BELOW = 10


@dataclass(frozen=True)
class ModeVerdict:
    mode_id: str
    label: Literal["systematic", "random", "not seen"]
    reasons: tuple[str, ...]  # plain sentences: where and how it is systematic, or why random


@dataclass(frozen=True)
class SystematicReport:
    slices: tuple[SliceTest, ...]
    directions: tuple[DirectionTest, ...]
    consistency: tuple[Consistency, ...]
    verdicts: tuple[ModeVerdict, ...]  # one per mode, in the suite's order
    all_fail: tuple[str, ...]  # example ids that every candidate failed (in every repeat)


def systematic(
    outputs: Sequence[LabelledOutput],
    modes: Sequence[FailureMode],
    *,
    slice_names: Sequence[str],
    fdr: float = 0.10,
    alpha: float = 0.05,
) -> SystematicReport:
    """Slice, direction and repeat tests for every failure mode, and a verdict for each.

    Slices: for each mode seen at least once, each slice name and value, per candidate and
    pooled over candidates, the outputs with that value against the other outputs that
    have the slice (Fisher exact, risk ratio). One observation is one output, so an
    example answered K times counts K times here; whether failures stick to examples is
    the consistency test's question. q is Benjamini–Hochberg over every slice test of the
    report together; a test is significant when q ≤ fdr and RR > 1.

    Directions: per axis, outputs with an `up` mode against outputs with a `down` mode
    (an output with both counts for neither), sign test, per candidate and pooled.

    Consistency, per candidate with repeats: per example f_i = outputs carrying the mode
    out of K, the most common number of outputs per example (examples answered a different
    number of times are left out), then the dispersion test.

    A mode is "systematic" on most of a candidate's outputs (95% Wilson lower bound above
    one half), with a significant slice test, a direction test with p < alpha on which its
    side is the majority, or a consistency test with p < alpha; "random"
    otherwise; "not seen" when no output carries it. With a single candidate the pooled
    tests would repeat the candidate's, so they are left out.
    """
    if not 0 < fdr < 1:
        raise ValueError(f"fdr must be within (0, 1), got {fdr}")
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be within (0, 1), got {alpha}")
    by_candidate: dict[str, list[LabelledOutput]] = {}
    for output in outputs:
        by_candidate.setdefault(output.candidate_id, []).append(output)
    scopes: list[tuple[str | None, Sequence[LabelledOutput]]] = list(by_candidate.items())
    if len(by_candidate) > 1:
        scopes.append((None, outputs))
    seen = [mode for mode in modes if any(mode.id in output.modes for output in outputs)]

    slices = _slice_tests(seen, slice_names, scopes, fdr)
    directions = _direction_tests(modes, scopes)
    consistency = [
        test
        for candidate_id, own in by_candidate.items()
        for test in _consistency(candidate_id, own, seen)
    ]
    verdicts = tuple(
        _verdict(
            mode,
            mode in seen,
            modes,
            slices,
            directions,
            consistency,
            alpha,
            _pervasive(mode, by_candidate),
        )
        for mode in modes
    )
    return SystematicReport(
        slices=tuple(slices),
        directions=tuple(directions),
        consistency=tuple(consistency),
        verdicts=verdicts,
        all_fail=_all_fail(outputs, {mode.id: mode for mode in modes}),
    )


def _slice_tests(
    seen: Sequence[FailureMode],
    slice_names: Sequence[str],
    scopes: Sequence[tuple[str | None, Sequence[LabelledOutput]]],
    fdr: float,
) -> list[SliceTest]:
    """Every (mode, scope, slice, value) table with both sides non-empty, BH-adjusted together."""
    # Counted in one pass per scope and slice, not once per mode and value: at 20,000 outputs
    # the repeated scans were most of the report's time.
    tables = {
        (number, name): _slice_table(scoped, name)
        for number, (_, scoped) in enumerate(scopes)
        for name in slice_names
    }
    untested: list[SliceTest] = []
    for mode in seen:
        for number, (candidate_id, _) in enumerate(scopes):
            for name in slice_names:
                sizes, failing = tables[(number, name)]
                in_mode = failing.get(mode.id, Counter())
                for value in sorted(sizes):
                    n_in, n_out = sizes[value], sizes.total() - sizes[value]
                    if n_out == 0:  # a single value: nothing to set it against
                        continue
                    f_in, f_out = in_mode[value], in_mode.total() - in_mode[value]
                    p, ratio, low, high = fisher_risk(f_in, n_in, f_out, n_out)
                    untested.append(
                        SliceTest(
                            candidate_id=candidate_id,
                            mode_id=mode.id,
                            slice_name=name,
                            slice_value=value,
                            failures_in=f_in,
                            n_in=n_in,
                            failures_out=f_out,
                            n_out=n_out,
                            risk_ratio=ratio,
                            rr_low=low,
                            rr_high=high,
                            p=p,
                            q=p,  # replaced below, once every p is known
                            exploratory=min(n_in, n_out) < _EXPLORATORY_BELOW,
                            significant=False,
                        )
                    )
    adjusted = benjamini_hochberg([test.p for test in untested]) if untested else []
    return [
        replace(
            test,
            q=q,
            significant=q <= fdr and test.risk_ratio is not None and test.risk_ratio > 1,
        )
        for test, q in zip(untested, adjusted, strict=True)
    ]


def _slice_table(
    scoped: Sequence[LabelledOutput], name: str
) -> tuple[Counter[str], dict[str, Counter[str]]]:
    """Outputs per value of slice `name`, and per mode its outputs per value."""
    sizes: Counter[str] = Counter()
    failing: dict[str, Counter[str]] = {}
    for output in scoped:
        if name not in output.slices:
            continue
        value = output.slices[name]
        sizes[value] += 1
        for mode_id in output.modes:
            failing.setdefault(mode_id, Counter())[value] += 1
    return sizes, failing


def _direction_tests(
    modes: Sequence[FailureMode],
    scopes: Sequence[tuple[str | None, Sequence[LabelledOutput]]],
) -> list[DirectionTest]:
    """Per axis and scope: outputs failing `up` against outputs failing `down`."""
    sides: dict[str, dict[str, list[str]]] = {}
    for mode in modes:
        if mode.direction is not None:
            signs = sides.setdefault(mode.direction.axis, {"up": [], "down": []})
            signs[mode.direction.sign].append(mode.id)
    tests = []
    for axis, side in sides.items():
        for candidate_id, scoped in scopes:
            up = down = 0
            for output in scoped:
                is_up = any(mode_id in output.modes for mode_id in side["up"])
                is_down = any(mode_id in output.modes for mode_id in side["down"])
                up += is_up and not is_down
                down += is_down and not is_up
            tests.append(
                DirectionTest(
                    candidate_id=candidate_id,
                    axis=axis,
                    up_mode=side["up"][0] if side["up"] else None,
                    down_mode=side["down"][0] if side["down"] else None,
                    up=up,
                    down=down,
                    p=sign_test(up, down),
                )
            )
    return tests


def _consistency(
    candidate_id: str, own: Sequence[LabelledOutput], seen: Sequence[FailureMode]
) -> list[Consistency]:
    """Per mode: failures per example over the candidate's K repeats, and their dispersion."""
    per_example: dict[str, list[LabelledOutput]] = {}
    for output in own:
        per_example.setdefault(output.example_id, []).append(output)
    sizes = Counter(len(answers) for answers in per_example.values())
    if max(sizes) < 2:
        return []
    # The most common number of answers per example; on a tie, the larger.
    repeats = max(sizes, key=lambda size: (sizes[size], size))
    kept = [answers for answers in per_example.values() if len(answers) == repeats]
    tests = []
    for mode in seen:
        counts = [sum(mode.id in output.modes for output in answers) for answers in kept]
        statistic, df, p = dispersion(counts, repeats)
        tests.append(
            Consistency(
                candidate_id=candidate_id,
                mode_id=mode.id,
                repeats=repeats,
                always=sum(count == repeats for count in counts),
                flaky=sum(0 < count < repeats for count in counts),
                never=counts.count(0),
                dispersion=statistic,
                df=df,
                p=p,
            )
        )
    return tests


def _verdict(
    mode: FailureMode,
    seen: bool,
    modes: Sequence[FailureMode],
    slices: Sequence[SliceTest],
    directions: Sequence[DirectionTest],
    consistency: Sequence[Consistency],
    alpha: float,
    pervasive: Sequence[str] = (),
) -> ModeVerdict:
    if not seen:
        return ModeVerdict(mode.id, "not seen", ("no output carries it",))
    systematic_reasons: list[str] = list(pervasive)
    random_reasons: list[str] = []

    own_slices = [test for test in slices if test.mode_id == mode.id]
    hits = sorted((test for test in own_slices if test.significant), key=lambda t: (t.q, t.p))
    systematic_reasons += [slice_reason(test) for test in hits]
    if own_slices and not hits:
        random_reasons.append("spread across slices (no slice stands out after correction)")

    if mode.direction is not None:
        axis, sign = mode.direction.axis, mode.direction.sign
        own_directions = [test for test in directions if test.axis == axis]
        leans = [
            test
            for test in own_directions
            if test.p is not None
            and test.p < alpha
            and (test.up > test.down if sign == "up" else test.down > test.up)
        ]
        systematic_reasons += [direction_reason(test, sign, modes) for test in leans]
        tested = [test for test in own_directions if test.p is not None]
        against = [test for test in tested if test.p is not None and test.p < alpha]
        if against and not leans:
            random_reasons += [direction_reason(test, sign, modes) for test in against]
        elif tested and not leans:
            smallest = min(test.p for test in tested if test.p is not None)
            random_reasons.append(f"no lean on {axis} (smallest sign test {p_text(smallest)})")

    own_repeats = [test for test in consistency if test.mode_id == mode.id]
    sticky = [test for test in own_repeats if test.p is not None and test.p < alpha]
    systematic_reasons += [consistency_reason(test) for test in sticky]
    tested_repeats = [test for test in own_repeats if test.p is not None]
    if tested_repeats and not sticky:
        smallest = min(test.p for test in tested_repeats if test.p is not None)
        random_reasons.append(
            f"does not stick to examples across repeats (smallest dispersion {p_text(smallest)})"
        )

    if systematic_reasons:
        return ModeVerdict(mode.id, "systematic", tuple(systematic_reasons))
    if not random_reasons:
        random_reasons.append("no slice, direction or repeats to test it against")
    return ModeVerdict(mode.id, "random", tuple(random_reasons))


def _pervasive(
    mode: FailureMode, by_candidate: Mapping[str, Sequence[LabelledOutput]]
) -> list[str]:
    """Reasons for a mode on most of a candidate's outputs: everywhere is not noise.

    A slice test cannot see a failure that is everywhere (no slice stands out), so a mode
    whose 95% Wilson interval lies above one half for a candidate is systematic as such.
    """
    reasons = []
    for candidate, outputs in by_candidate.items():
        k = sum(mode.id in output.modes for output in outputs)
        rate = wilson(k, len(outputs))
        if rate.n and rate.low > 0.5:
            reasons.append(
                f"on most of {candidate}'s outputs: {k} of {rate.n} (95% interval "
                f"{rate.low:.0%}–{rate.high:.0%}): a consistent failure, not noise"
            )
    return reasons


def _all_fail(outputs: Sequence[LabelledOutput], by_id: dict[str, FailureMode]) -> tuple[str, ...]:
    """Examples every candidate answered, each answer carrying a mode worse than "none"."""
    candidates = {output.candidate_id for output in outputs}
    answered: dict[str, set[str]] = {}
    passed: set[str] = set()
    for output in outputs:
        answered.setdefault(output.example_id, set()).add(output.candidate_id)
        if not any(label in by_id and by_id[label].level > 0 for label in output.modes):
            passed.add(output.example_id)
    return tuple(
        sorted(
            example_id
            for example_id, who in answered.items()
            if who == candidates and example_id not in passed
        )
    )
