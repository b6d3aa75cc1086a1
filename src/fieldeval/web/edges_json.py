"""Edge cases as the run page's JSON (`edges`): per candidate a row per generator and its
total, each rate with n and its interval, each generator linked to its variants' examples,
and the catastrophic replies to read first."""

from __future__ import annotations

from typing import Any

from fieldeval.edges.rates import ALL, EdgeReport, EdgeRow
from fieldeval.stats.intervals import Rate
from fieldeval.web.links import examples_url, output_url
from fieldeval.web.results_json import rate_json


def edges_json(run_id: str, report: EdgeReport) -> dict[str, Any]:
    candidates = list(dict.fromkeys(row.candidate_id for row in report.totals))
    return {
        "variants": report.variants,
        "seeds": report.seeds,
        "judged": report.judged,
        "warnings": list(report.warnings),
        "notes": list(report.notes),
        "candidates": [
            {
                "candidate_id": candidate,
                "rows": [
                    _row(run_id, row)
                    for row in (
                        *report.rows_of(candidate),
                        *(t for t in report.totals if t.candidate_id == candidate),
                    )
                ],
            }
            for candidate in candidates
        ],
        "worst": [
            {
                "candidate_id": excerpt.candidate_id,
                "example_id": excerpt.example_id,
                "generator": excerpt.generator,
                "kind": excerpt.kind,
                "oracle": excerpt.oracle,
                "reason": excerpt.reason,
                "input": excerpt.input,  # already cut to EXCERPT_CHARS by edges.rates
                "output": excerpt.output,
                "url": output_url(run_id, excerpt.candidate_id, excerpt.example_id, excerpt.repeat),
            }
            for excerpt in report.worst
        ],
    }


def _row(run_id: str, row: EdgeRow) -> dict[str, Any]:
    total = row.generator == ALL
    return {
        "generator": row.generator,
        "expect": row.expect,
        "replies": row.replies,
        "errors": row.errors,
        "ungraded": row.ungraded,
        "graded": row.graded,
        "correct": _rate(row.correct),
        "graceful": _rate(row.graceful),
        "catastrophic": _rate(row.catastrophic),
        "clean_pass": _rate(row.clean_pass),
        "over_refusal": _rate(row.over_refusal),
        # The generator's variants with this candidate's outputs (a total row has no filter).
        "url": None
        if total
        else examples_url(run_id, candidate=row.candidate_id, edge=row.generator),
    }


def _rate(rate: Rate | None) -> dict[str, Any] | None:
    """A rate with its n and interval; None where nothing was counted (no interval exists)."""
    if rate is None or rate.n == 0:
        return None
    return rate_json(rate, None)
