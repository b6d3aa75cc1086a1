"""A production sample as an eval set: JSON Lines a suite reads, and the suite lines to read it.

Each line is one example: its `id` (the production record's), `input`, the production
`messages`, the production answer as `production_output` (graded as the `recorded`
candidate `production`, no call made), the stratum and every field it was stratified by,
and the design: `inclusion_probability` (of the input), `production_calls` (calls with that
input), `production_weight` (calls over probability) and `stratum_fraction` (the share of
the stratum's calls whose outcome is measured: one call per input drawn) and
`stratum_calls` (N_h, which makes the estimate post-stratified).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from fieldeval.files import write_atomically
from fieldeval.production.sampling import ProductionSample, SampledExample
from fieldeval.production.strata import field_value

WEIGHT_FIELD = "production_weight"
STRATUM_FIELD = "stratum"
PROBABILITY_FIELD = "inclusion_probability"
FRACTION_FIELD = "stratum_fraction"
SIZE_FIELD = "stratum_calls"
OUTPUT_FIELD = "production_output"


def evalset_rows(sample: ProductionSample, by: Sequence[str]) -> list[dict[str, Any]]:
    return [_row(example, by) for example in sample.examples]


def write_evalset(path: Path, sample: ProductionSample, by: Sequence[str]) -> None:
    lines = (json.dumps(row, ensure_ascii=False) for row in evalset_rows(sample, by))
    write_atomically(path, "".join(line + "\n" for line in lines))


def suite_lines(path: Path, by: Sequence[str]) -> str:
    """The dataset and candidate a suite needs to run the sample, weighted to production."""
    # With two fields or more, their combination (the stratum) is a slice of its own.
    named = [*by, STRATUM_FIELD] if len(by) > 1 else list(by)
    slices = ", ".join(json.dumps(name) for name in named)
    return f"""dataset:
  path: {path.name}
  id: id
  input: input
  slices: [{slices}]
  production:
    weight: {WEIGHT_FIELD}
    stratum: {STRATUM_FIELD}
    fraction: {FRACTION_FIELD}
    stratum_size: {SIZE_FIELD}
candidates:
  - id: production
    provider: recorded
    path: {path.name}
    output_field: {OUTPUT_FIELD}
    latency_field: production_latency_ms
"""


def _row(example: SampledExample, by: Sequence[str]) -> dict[str, Any]:
    record = example.record
    row: dict[str, Any] = {
        "id": record.id,
        "input": record.input,
        "production_messages": [dict(message) for message in record.messages],
        OUTPUT_FIELD: record.output,
        "production_model": record.model,
        "production_latency_ms": record.latency_ms,
        "production_at": record.started_at.isoformat(),
        STRATUM_FIELD: example.stratum,
    }
    for name in by:
        row[name] = field_value(record, name)
    row[PROBABILITY_FIELD] = round(example.inclusion_probability, 12)
    row["production_calls"] = example.calls
    row[FRACTION_FIELD] = round(example.stratum_fraction, 12)
    row[SIZE_FIELD] = example.stratum_calls
    row[WEIGHT_FIELD] = round(example.weight, 9)
    return row
