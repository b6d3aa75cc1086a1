"""`fieldeval import`: another tool's eval suite as a fieldeval suite.

`main.py` registers the command; the importers load only when it runs.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer


class Kind(StrEnum):
    promptfoo = "promptfoo"
    openai_evals = "openai-evals"
    inspect = "inspect"
    deepeval = "deepeval"


def import_suite_command(
    kind: Annotated[Kind, typer.Argument(help="The tool the suite comes from.")],
    source: Annotated[
        Path,
        typer.Argument(help="Its config, registry YAML or data file, or the folder holding it."),
    ],
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Folder to write into (default: ./imported-KIND)."),
    ] = None,
    force: Annotated[bool, typer.Option(help="Overwrite an earlier import there.")] = False,
) -> None:
    """Import a promptfoo, OpenAI Evals, Inspect AI or DeepEval suite; list what did not carry."""
    from rich.markup import escape
    from rich.table import Table

    from fieldeval.cli.console import console
    from fieldeval.importers import import_suite, write_import

    result = import_suite(kind.value, source)
    out_dir = out if out is not None else Path(f"imported-{kind.value}")
    suite_path = write_import(result, out_dir, force=force)
    console.print(
        f"[green]wrote[/] {escape(str(suite_path))} and {escape(str(out_dir / 'data.jsonl'))}"
        f" ({len(result.rows)} examples)"
    )
    console.print("[bold]carried over[/]")
    for item in result.carried:
        console.print(f"  {escape(item)}")
    if result.not_carried:
        table = Table(title="not carried over", title_justify="left", show_lines=False)
        table.add_column("what", overflow="fold")
        table.add_column("why", overflow="fold")
        for missing in result.not_carried:
            table.add_row(escape(missing.what), escape(missing.reason))
        console.print(table)
    else:
        console.print("everything was carried over")
    console.print(f"next: [bold]fieldeval validate {escape(str(suite_path))}[/]")
