"""A power plan as the sentences a team needs before spending on a run."""

from __future__ import annotations

from fieldeval.notation import points_up
from fieldeval.stats.power import Plan


def describe_plan(plan: Plan) -> list[str]:
    """What n examples can tell apart, and what a target difference needs."""
    setting = f"{_pct(plan.power)} power, {_pct(plan.alpha)} level"
    disagree = f"assuming they disagree on {_pct(plan.discordance)} of examples"
    examples = _examples(plan.n)
    if plan.paired_mde is None:
        paired = (
            f"With an expected pass rate of {_pct(plan.pass_rate)}, no difference between two "
            f"candidates is detectable with {examples} ({setting}, {disagree}): even if one "
            "candidate won every disagreement, there would be too few of them."
        )
    else:
        paired = (
            f"With {examples} and an expected pass rate of {_pct(plan.pass_rate)}, two "
            f"candidates must differ by at least {points_up(plan.paired_mde)} points to be told "
            f"apart ({setting}, {disagree})."
        )
    lines = [paired]
    if plan.target is not None and plan.n_for_target is not None:
        needed = (
            f"To detect a {_points(plan.target)}-point difference you need "
            f"{_examples(plan.n_for_target)}"
        )
        enough = plan.n_for_target <= plan.n
        lines.append(f"{needed}; your {plan.n} are enough." if enough else f"{needed}.")
    if plan.threshold_mde is None:
        lines.append(
            f"With {examples}, no drop below a threshold of {_pct(plan.pass_rate)} is "
            f"detectable in a single candidate's pass rate ({setting}, exact binomial test)."
        )
    else:
        lines.append(
            "A single candidate's pass rate can be told apart from a threshold of "
            f"{_pct(plan.pass_rate)} only when it is at least {points_up(plan.threshold_mde)} "
            f"points below it ({setting}, exact binomial test)."
        )
    return lines


def describe_assumptions(plan: Plan, *, pass_rate_from: str, discordance_from: str) -> str:
    """Where the two assumptions came from, so nobody mistakes a default for a measurement."""
    return (
        f"Assumed: pass rate {_pct(plan.pass_rate)} ({pass_rate_from}); candidates disagree on "
        f"{_pct(plan.discordance)} of examples ({discordance_from})."
    )


def _pct(fraction: float) -> str:
    return f"{100 * fraction:.3g}%"


def _points(difference: float) -> str:
    return f"{100 * difference:.0f}"


def _examples(n: int) -> str:
    return "1 example" if n == 1 else f"{n} examples"
