"""Answers and abstentions as the run page's JSON (`abstention`): one row per measure, a
cell per candidate, each count linked to the outputs it counts."""

from __future__ import annotations

from typing import Any

from fieldeval.abstention.rates import AbstentionRates, AbstentionReport
from fieldeval.report.abstention_text import CAPTION, MEASURES, note, risk_text
from fieldeval.web.links import outputs_url
from fieldeval.web.results_json import rate_json

# The outputs behind a measure's count, as the outputs list's `result` filter names them.
_LISTED = {
    "abstained": "abstained",
    "broke format": "broke_format",
    "confidently wrong": "wrong",
}


def abstention_json(run_id: str, report: AbstentionReport) -> dict[str, Any]:
    rows = []
    for name, measure in MEASURES:
        cells = [measure(rates) for rates in report.candidates]
        if all(cell is None for cell in cells):
            continue
        rows.append(
            {
                "measure": name,
                "cells": [
                    None if rate is None else rate_json(rate, _url(run_id, name, rates))
                    for rate, rates in zip(cells, report.candidates, strict=True)
                ],
            }
        )
    return {
        "note": note(report),
        "caption": CAPTION,
        "candidates": [rates.candidate_id for rates in report.candidates],
        "rows": rows,
        "risk_coverage": [
            {
                "candidate_id": rates.candidate_id,
                "text": risk_text(rates.risk_coverage, rates.stated_confidence),
                "aurc": rates.risk_coverage.aurc if rates.risk_coverage else None,
                "points": [
                    {"threshold": p.threshold, "coverage": p.coverage, "risk": p.risk.value}
                    for p in (rates.risk_coverage.points if rates.risk_coverage else ())
                ],
            }
            for rates in report.candidates
        ],
    }


def _url(run_id: str, measure: str, rates: AbstentionRates) -> str | None:
    result = _LISTED.get(measure)
    if result is None:
        return None
    return outputs_url(run_id, candidate=rates.candidate_id, result=result)
