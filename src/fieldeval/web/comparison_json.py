"""Run against run as JSON: flipped examples first (regressions, then fixes), then the paired
differences of every rate and number."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from fieldeval.results.changes import Change
from fieldeval.results.compare import (
    CandidateComparison,
    Flip,
    MetricDelta,
    NumberDelta,
    RunComparison,
)
from fieldeval.web.charts import ChartRow, interval_chart
from fieldeval.web.links import example_url, output_url
from fieldeval.web.results_json import number, rate_json, run_json
from fieldeval.web.templating import percent

PREVIEW_CHARS = 200


def ordered_flips(comparison: RunComparison) -> list[tuple[str, Flip]]:
    """Every candidate's regressions, then every candidate's fixes, in dataset order."""
    return [
        (c.candidate_id, flip)
        for direction in ("regressed", "fixed")
        for c in comparison.candidates
        for flip in c.flips
        if flip.direction == direction
    ]


def comparison_json(
    comparison: RunComparison,
    flips: Sequence[tuple[str, Flip]],
    paging: Mapping[str, Any],
) -> dict[str, Any]:
    """`flips` is the page of flips to show, from `ordered_flips`."""
    before, after = comparison.before, comparison.after
    candidates = [_candidate(c) for c in comparison.candidates]
    return {
        "before": run_json(before),
        "after": run_json(after),
        "same_dataset": comparison.same_dataset,
        "suite_changes": [_change(change) for change in comparison.suite_changes],
        "only_before": list(comparison.only_before),
        "only_after": list(comparison.only_after),
        "counts": [
            {
                "candidate_id": c.candidate_id,
                "n_paired": c.n_paired,
                "regressed": sum(f.direction == "regressed" for f in c.flips),
                "fixed": sum(f.direction == "fixed" for f in c.flips),
                "still_failing": len(c.still_failing),
                "only_before": c.only_before,
                "only_after": c.only_after,
            }
            for c in comparison.candidates
        ],
        "flips": {
            **paging,
            "rows": [_flip(before.id, after.id, cid, flip) for cid, flip in flips],
        },
        "candidates": candidates,
        "charts": {
            "pass": interval_chart(
                "Pass rate on the paired examples, 95% interval",
                [
                    ChartRow(
                        f"{c['candidate_id']} {side}",
                        metric[side]["rate"],
                        metric[side]["low"],
                        metric[side]["high"],
                        f"{percent(metric[side]['rate'])} [{percent(metric[side]['low'])},"
                        f" {percent(metric[side]['high'])}] · {metric[side]['k']} of"
                        f" {metric[side]['n']}",
                    )
                    for c in candidates
                    for metric in c["metrics"][:1]
                    for side in ("before", "after")
                ],
                percent=True,
            ),
        },
    }


def _candidate(found: CandidateComparison) -> dict[str, Any]:
    return {
        "candidate_id": found.candidate_id,
        "n_paired": found.n_paired,
        "metrics": [_metric(m) for m in found.metrics],
        "numbers": [_number(n) for n in found.numbers],
        "config_changes": [_change(change) for change in found.config_changes],
        "still_failing": list(found.still_failing),
    }


def _metric(found: MetricDelta) -> dict[str, Any]:
    paired = found.paired
    return {
        "metric": found.metric,
        "before": rate_json(found.before, None),
        "after": rate_json(found.after, None),
        "n": paired.n,
        "difference": number(paired.difference),
        "low": number(paired.low),
        "high": number(paired.high),
        "p": number(paired.p_value),
        "adjusted_p": number(found.adjusted_p),
    }


def _number(found: NumberDelta) -> dict[str, Any]:
    paired = found.paired
    return {
        "metric": found.metric,
        "before_median": number(found.before_median),
        "after_median": number(found.after_median),
        "n": paired.n if paired is not None else None,
        "difference": number(paired.difference) if paired is not None else None,
        "low": number(paired.low) if paired is not None else None,
        "high": number(paired.high) if paired is not None else None,
        "p": number(paired.p_value) if paired is not None else None,
    }


def _flip(before_id: str, after_id: str, candidate_id: str, flip: Flip) -> dict[str, Any]:
    def preview(text: str | None) -> str:
        return (text or "")[:PREVIEW_CHARS]

    return {
        "candidate_id": candidate_id,
        "example_id": flip.example_id,
        "direction": flip.direction,
        "failed_before": list(flip.failed_before),
        "failed_after": list(flip.failed_after),
        "input_preview": preview(flip.input),
        "before_preview": preview(flip.before.text),
        "after_preview": preview(flip.after.text),
        "before_url": output_url(before_id, candidate_id, flip.example_id, flip.before.repeat),
        "after_url": output_url(after_id, candidate_id, flip.example_id, flip.after.repeat),
        "example_url": example_url(after_id, flip.example_id),
    }


def _change(change: Change) -> dict[str, Any]:
    return {"path": change.path, "before": change.before, "after": change.after}
