"""The `fieldeval` command: thin commands over the library, errors mapped to exit codes here."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from fieldeval.errors import FieldevalError

app = typer.Typer(
    name="fieldeval",
    help="Evaluate LLMs and LLM apps on your own task, with your own data.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

DbOption = Annotated[
    str | None,
    typer.Option(
        "--db",
        envvar="FIELDEVAL_DB",
        help="Store URL or SQLite path [default: .fieldeval/fieldeval.db]",
    ),
]
SuiteArgument = Annotated[Path, typer.Argument(help="The suite file (YAML).", show_default=False)]


@app.command()
def init(
    data: Annotated[
        Path, typer.Option("--from", help="A CSV, JSONL or JSON file of your examples.")
    ],
    out: Annotated[Path, typer.Option("--out", "-o", help="Where to write the suite.")] = Path(
        "suite.yaml"
    ),
    force: Annotated[bool, typer.Option(help="Overwrite an existing file.")] = False,
) -> None:
    """Write a commented suite file for your data, columns mapped, task left to write."""
    from fieldeval.cli import commands

    commands.init(data, out, force=force)


@app.command()
def validate(suite: SuiteArgument) -> None:
    """Check a suite file, its data, templates and checks without calling any model."""
    from fieldeval.cli import commands

    commands.validate(suite)


@app.command()
def run(
    suite: SuiteArgument,
    resume: Annotated[
        bool, typer.Option("--resume", help="Finish the latest unfinished run of this suite.")
    ] = False,
    resume_run: Annotated[
        str | None, typer.Option("--resume-run", help="Finish this run (id or prefix).")
    ] = None,
    sample: Annotated[int | None, typer.Option(help="Run on N examples only.")] = None,
    stratify: Annotated[str | None, typer.Option(help="Field to stratify the sample by.")] = None,
    seed: Annotated[int, typer.Option(help="Seed for the sample.")] = 0,
    repeat: Annotated[int, typer.Option(min=1, help="Run each example K times.")] = 1,
    cache: Annotated[bool, typer.Option(help="Answer repeated requests from the store.")] = True,
    db: DbOption = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
) -> None:
    """Run every candidate on every example, apply the checks, store and summarise."""
    from fieldeval.cli import commands

    commands.run(
        suite,
        db=db,
        resume=resume or resume_run is not None,
        resume_run=resume_run,
        sample=sample,
        stratify=stratify,
        seed=seed,
        repeats=repeat,
        use_cache=cache,
        quiet=quiet,
    )


@app.command()
def runs(db: DbOption = None, limit: int = 20) -> None:
    """List stored runs, newest first."""
    from fieldeval.cli import commands

    commands.list_runs(db=db, limit=limit)


@app.command()
def show(
    run_id: Annotated[str, typer.Argument(help="Run id or a unique prefix.")], db: DbOption = None
) -> None:
    """Show a stored run's summary table."""
    from fieldeval.cli import commands

    commands.show(run_id, db=db)


def main() -> None:
    """Entry point: runs the app and maps errors to exit codes in one place."""
    from rich.console import Console
    from rich.text import Text

    err = Console(stderr=True, highlight=False)
    try:
        app()  # typer handles usage errors itself (exit 2) and exits with the command's code
    except FieldevalError as error:
        # Messages quote user data (paths, field names with [0]): never read them as markup.
        err.print(Text.assemble(("error: ", "bold red"), error.message), soft_wrap=True)
        if error.hint:
            err.print(Text.assemble(("hint: ", "bold"), error.hint), soft_wrap=True)
        sys.exit(error.exit_code)
