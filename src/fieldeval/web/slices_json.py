"""Pass rates per slice value as the run page's JSON (`slices`)."""

from __future__ import annotations

from typing import Any

from fieldeval.results.slices import SliceField, SlicePair
from fieldeval.web.links import examples_url
from fieldeval.web.results_json import number, paired_json, rate_json


def slice_json(run_id: str, field: SliceField) -> dict[str, Any]:
    """One slice field: each value's rate per candidate, and the pairs compared there."""
    return {
        "field": field.field,
        "hidden": field.hidden,
        "pairs": [{"a": a, "b": b} for a, b in field.pairs],
        "values": [
            {
                "value": value.value,
                "examples": value.examples,
                "url": examples_url(run_id, slice=f"{field.field}={value.value}"),
                "rates": {
                    candidate: rate_json(
                        rate,
                        examples_url(
                            run_id, candidate=candidate, slice=f"{field.field}={value.value}"
                        ),
                    )
                    for candidate, rate in value.rates.items()
                },
                "pairs": [_pair(pair) for pair in value.pairs],
            }
            for value in field.values
        ],
    }


def _pair(pair: SlicePair) -> dict[str, Any]:
    return {
        "a": pair.a,
        "b": pair.b,
        **paired_json(pair.paired),
        "adjusted_p": number(pair.adjusted_p),
        "verdict": pair.verdict,
    }
