"""The examples table and one example with every candidate's outputs, as JSON."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from fieldeval.failures.rates import LabelledOutput
from fieldeval.records.grade import FailureLabel, Grade
from fieldeval.records.run import OutputKey, RunInfo, StoredExample, StoredOutput
from fieldeval.store.browse_store import ExamplePage, OutputPreview
from fieldeval.suite.schema import Suite
from fieldeval.web.example_filter import ExampleFilter
from fieldeval.web.links import example_url, examples_url, output_url
from fieldeval.web.output_json import output_json
from fieldeval.web.results_json import run_json


def outcome(preview: OutputPreview) -> str:
    if preview.error_kind is not None:
        return "error"
    return "pass" if preview.passed else "fail"


def examples_json(
    run: RunInfo,
    where: ExampleFilter,
    found: ExamplePage,
    paging: Mapping[str, Any],
    options: Mapping[str, Any],
) -> dict[str, Any]:
    """A page of the examples matching `where`, each with its outputs' verdicts and openings."""
    return {
        "run": run_json(run),
        "filter": where.model_dump(exclude={"page"}),
        "title": where.describe(),
        "options": dict(options),
        **paging,
        "examples": [
            {
                "example_id": row.example_id,
                "position": row.position,
                "url": example_url(run.id, row.example_id),
                "input_preview": row.input_preview,
                "input_truncated": row.input_truncated,
                "slices": row.slices,
                "candidates": [
                    {
                        "candidate_id": cid,
                        "outputs": [
                            _preview_json(run.id, p) for p in row.outputs if p.candidate_id == cid
                        ],
                    }
                    for cid in run.candidates
                ],
            }
            for row in found.rows
        ],
    }


def _preview_json(run_id: str, preview: OutputPreview) -> dict[str, Any]:
    return {
        "repeat": preview.repeat,
        "outcome": outcome(preview),
        "error_kind": preview.error_kind,
        "failed_checks": list(preview.failed_checks),
        "preview": preview.preview,
        "truncated": preview.truncated,
        "url": output_url(run_id, preview.candidate_id, preview.example_id, preview.repeat),
    }


def filter_options(
    suite: Suite, run: RunInfo, slices: Mapping[str, Sequence[str]], edges: Sequence[str]
) -> dict[str, Any]:
    """What the filter form offers; the edge filter only when examples carry an edge."""
    return {
        "candidates": list(run.candidates),
        "outcomes": ["pass", "fail", "error"],
        "checks": [str(check.get("id")) for check in run.suite.get("checks", ())],
        "criteria": [criterion.id for criterion in suite.rubric],
        "modes": [mode.id for mode in suite.failure_modes],
        "slices": [
            {"name": name, "value": value, "param": f"{name}={value}"}
            for name, values in slices.items()
            for value in values
        ],
        "edges": list(edges),
    }


def example_json(
    run: RunInfo,
    example: StoredExample,
    outputs: Sequence[StoredOutput],
    *,
    suite: Suite,
    grades: Sequence[Grade],
    labels: Sequence[FailureLabel],
    labelled: Mapping[OutputKey, LabelledOutput],
) -> dict[str, Any]:
    """One example: its input, then each candidate's outputs with checks, grades and modes."""

    def one(output: StoredOutput) -> dict[str, Any]:
        key = OutputKey.of(output)
        full = output_json(
            run,
            output,
            example,
            grades=[g for g in grades if OutputKey.of(g) == key],
            rubric=suite.rubric,
            labelled=labelled.get(key),
            modes=suite.failure_modes,
            labels=[lb for lb in labels if OutputKey.of(lb) == key],
        )
        shared = ("run", "example_id", "input", "reference", "slices")
        return {
            **{name: value for name, value in full.items() if name not in shared},
            "outcome": "error" if not output.ok else "pass" if output.passed else "fail",
            "url": output_url(run.id, *key),
        }

    return {
        "run": run_json(run),
        "example_id": example.id,
        "input": example.input,
        "reference": example.reference,
        "slices": dict(example.slices),
        "candidates": [
            {
                "candidate_id": cid,
                "outputs": [one(o) for o in outputs if o.candidate_id == cid],
            }
            for cid in run.candidates
        ],
        "links": {
            "examples": examples_url(run.id),
            "failed_examples": examples_url(run.id, outcome="fail"),
        },
    }
