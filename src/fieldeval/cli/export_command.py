"""`fieldeval export`: a run's results, one row per output, as JSON Lines or CSV."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from fieldeval.cli.options import DbOption, RunArgument


class ExportFormat(StrEnum):
    jsonl = "jsonl"
    csv = "csv"


def export(
    run_id: RunArgument,
    fmt: Annotated[
        ExportFormat, typer.Option("--format", "-f", help="jsonl (nested) or csv (flat).")
    ] = ExportFormat.jsonl,
    out: Annotated[
        str, typer.Option("--out", "-o", help="File to write, or '-' for stdout.")
    ] = "-",
    db: DbOption = None,
) -> None:
    """Export a run's outputs with checks, rubric verdicts, failure modes and slices."""
    from fieldeval.cli.console import console
    from fieldeval.report.results_export import export_run
    from fieldeval.store import Store

    store = Store.open(db)
    try:
        target = None if out == "-" else Path(out)
        table = export_run(
            store, run_id, fmt="csv" if fmt is ExportFormat.csv else "jsonl", out=target
        )
    finally:
        store.close()
    if target is not None:
        console.print(f"wrote {len(table.rows)} rows of run {table.run.id} to {target}")
