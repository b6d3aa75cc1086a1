"""Which examples are edge-case variants, and a run seen without them."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from fieldeval.records.run import RunInfo, StoredExample, StoredOutput


def is_variant(example: StoredExample) -> bool:
    return isinstance(example.fields.get("edge_of"), str)


def clean_view(
    run: RunInfo, outputs: Sequence[StoredOutput], examples: Sequence[StoredExample]
) -> tuple[RunInfo, list[StoredOutput]]:
    """The run as if it held only its clean examples: the numbers a summary should show.

    A run with edge cases also answered their variants; counting those in the pass rate
    would mix two populations. Unchanged for a run without variants.
    """
    variants = {example.id for example in examples if is_variant(example)}
    if not variants:
        return run, list(outputs)
    clean = len(examples) - len(variants)
    planned = clean * len(run.candidates) * run.repeats
    kept = [output for output in outputs if output.example_id not in variants]
    return dataclasses.replace(run, n_planned=planned), kept
