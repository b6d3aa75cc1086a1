"""Comparisons and gate results as JSON: every field, outputs' texts included."""

from __future__ import annotations

from fieldeval.report.encoding import FORMAT_VERSION, dumps, to_jsonable
from fieldeval.results.compare import RunComparison
from fieldeval.results.gate import GateResult


def comparison_json(comparison: RunComparison) -> str:
    return dumps({"format": FORMAT_VERSION, "comparison": to_jsonable(comparison)})


def gate_json(result: GateResult) -> str:
    return dumps(
        {
            "format": FORMAT_VERSION,
            "passed": result.passed,
            "findings": to_jsonable(result.findings),
            # named, unlike the tuples the library keeps
            "known_failures": [
                {"candidate_id": c, "example_id": e, "check_id": k}
                for c, e, k in result.known_failures
            ],
            "comparison": to_jsonable(result.comparison),
        }
    )
