"""The classification view as the run page's JSON (`classification`): each confusion-matrix
cell links to the outputs it counts."""

from __future__ import annotations

from typing import Any

from fieldeval.results.classification import (
    Classification,
    ClassificationReport,
    SliceClassification,
)
from fieldeval.web.links import outputs_url
from fieldeval.web.results_json import estimate_json, rate_json


def classification_json(run_id: str, report: ClassificationReport) -> dict[str, Any]:
    return {
        "labels": list(report.labels.values),
        "inferred": report.labels.inferred,
        "field": report.labels.field,
        "note": report.note,
        "other_references": report.other_references,
        "candidates": [_candidate(run_id, found) for found in report.candidates],
        "slices": [_slice(value) for value in report.slices],
    }


def _candidate(run_id: str, found: Classification) -> dict[str, Any]:
    cid = found.candidate_id
    return {
        "candidate_id": cid,
        "n": found.accuracy.n,
        "accuracy": rate_json(found.accuracy, None),
        "unparseable": rate_json(found.unparseable, None),
        "macro_f1": estimate_json(found.macro_f1),
        "micro_f1": estimate_json(found.micro_f1),
        "columns": list(found.columns),
        "matrix": [
            {
                "reference": label,
                "cells": [
                    {
                        "read_as": column,
                        "count": (count := found.count(label, column)),
                        "url": (
                            outputs_url(run_id, candidate=cid, reference=label, read_as=column)
                            if count
                            else None
                        ),
                    }
                    for column in found.columns
                ],
            }
            for label in found.labels
        ],
        "classes": [
            {
                "label": cls.label,
                "support": cls.support,
                "predicted": cls.predicted,
                "correct": cls.correct,
                "precision": rate_json(cls.precision, None) if cls.precision else None,
                "recall": rate_json(cls.recall, None) if cls.recall else None,
                "f1": estimate_json(cls.f1),
            }
            for cls in found.classes
        ],
        "confusions": [
            {"reference": ref, "read_as": pred, "count": n} for ref, pred, n in found.confusions()
        ],
    }


def _slice(value: SliceClassification) -> dict[str, Any]:
    return {
        "field": value.field,
        "value": value.value,
        "candidates": {
            cid: {
                "accuracy": rate_json(found.accuracy, None),
                "macro_f1": estimate_json(found.macro_f1),
            }
            for cid, found in value.by_candidate.items()
        },
    }
