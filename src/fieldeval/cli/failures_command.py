"""`fieldeval failures`: the failure analysis, and from grading notes to failure modes.

    fieldeval failures SUITE [--run ID]          the analysis (same as `failures show`)
    fieldeval failures suggest SUITE             the judge groups people's notes into a file
    fieldeval failures apply SUITE FILE          the edited file labels the run's outputs

Only typer is imported up front: `fieldeval --help` builds this app without the store.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from fieldeval.cli.options import DbOption, RunOption, SuiteArgument
from fieldeval.cli.show_group import ShowByDefault

if TYPE_CHECKING:
    from fieldeval.failures.coding import Applied
    from fieldeval.failures.notes import Suggestion

MODES_HINT = (
    "add failure modes to the suite, e.g.\n"
    "failure_modes:\n"
    "  - id: invents-facts\n"
    "    definition: States something the input does not say.\n"
    "    severity: critical\n"
    "or propose some from your grading notes: fieldeval failures suggest SUITE"
)


failures_app = typer.Typer(
    cls=ShowByDefault,
    help="Failure modes: the analysis (`failures SUITE`), and from notes to modes"
    " (`suggest`, then `apply`).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@failures_app.command()
def show(suite: SuiteArgument, run_id: RunOption = None, db: DbOption = None) -> None:
    """Failure modes per candidate, systematic or random, and which outputs to read first."""
    from fieldeval.cli.console import console
    from fieldeval.cli.grading_commands import resolve_run
    from fieldeval.errors import ConfigError
    from fieldeval.failures.report import failure_report
    from fieldeval.report.failures import render_failure_report
    from fieldeval.results.run_data import read_run
    from fieldeval.store import Store
    from fieldeval.suite.loader import load_suite

    loaded = load_suite(suite)
    if not loaded.suite.counted_modes:
        raise ConfigError(
            f"{suite}: the suite has no failure_modes, checks or rubric to analyse",
            hint=MODES_HINT,
        )
    store = Store.open(db)
    try:
        info = resolve_run(store, loaded, run_id)
        report = failure_report(loaded.suite, read_run(store, info.id))
        render_failure_report(report, console)
    finally:
        store.close()


@failures_app.command()
def suggest(
    suite: SuiteArgument,
    run_id: RunOption = None,
    out: Annotated[
        Path, typer.Option("--out", "-o", help="The file to write, for you to edit.")
    ] = Path("failure-modes.yaml"),
    max_modes: Annotated[
        int, typer.Option("--max-modes", min=1, help="At most this many proposed modes.")
    ] = 10,
    force: Annotated[bool, typer.Option(help="Replace an existing --out file.")] = False,
    db: DbOption = None,
) -> None:
    """Have the judge group people's notes on fails into proposed failure modes."""
    import asyncio

    from fieldeval.cli.grading_commands import load_with_rubric, resolve_run
    from fieldeval.errors import Interrupted, UserError
    from fieldeval.failures.coding import suggest_modes, write_suggestion
    from fieldeval.store import Store

    loaded = load_with_rubric(suite)
    if out.exists() and not force:
        raise UserError(
            f"{out} already exists, perhaps with your edits",
            hint="apply it (fieldeval failures apply SUITE FILE), pass --force to replace it,"
            " or write elsewhere with --out",
        )
    store = Store.open(db)
    try:
        info = resolve_run(store, loaded, run_id)
        try:
            suggestion = asyncio.run(suggest_modes(store, loaded, info.id, max_modes=max_modes))
        except KeyboardInterrupt:
            raise Interrupted(f"nothing was written to {out}") from None
        write_suggestion(suggestion, out)
    finally:
        store.close()
    _render_suggestion(suggestion, suite, out)


@failures_app.command("apply")
def apply_command(
    suite: SuiteArgument,
    file: Annotated[Path, typer.Argument(help="The edited failure-mode file.", show_default=False)],
    run_id: Annotated[
        str | None,
        typer.Option("--run", help="Run id or prefix (default: the one the file names)."),
    ] = None,
    db: DbOption = None,
) -> None:
    """Label the run's outputs with the modes in the edited file, replacing the last apply."""
    from fieldeval.failures.coding import apply_coding
    from fieldeval.store import Store
    from fieldeval.suite.loader import load_suite

    loaded = load_suite(suite)
    store = Store.open(db)
    try:
        applied = apply_coding(store, loaded, run_id, file)
    finally:
        store.close()
    _render_applied(applied, suite)


def _render_suggestion(suggestion: Suggestion, suite: Path, out: Path) -> None:
    from rich.table import Table
    from rich.text import Text

    from fieldeval.cli.console import console, count
    from fieldeval.notation import number

    placed = sum(len(mode.notes) for mode in suggestion.modes)
    total = placed + len(suggestion.unsorted)
    console.print(
        Text(
            f"judge {suggestion.judge_id} grouped {count(total, 'note')} on run"
            f" {suggestion.run_id} ({suggestion.distinct} distinct) into"
            f" {count(len(suggestion.modes), 'proposed failure mode')};"
            f" {len(suggestion.unsorted)} left unsorted"
        ),
        soft_wrap=True,
    )
    table = Table("mode", "severity", "notes", "definition")
    for mode in suggestion.modes:
        # Judge-written text: shown as Text, never read as markup.
        table.add_row(Text(mode.id), mode.severity, str(len(mode.notes)), Text(mode.definition))
    if suggestion.modes:
        console.print(table)
    if suggestion.from_cache:
        console.print("answered from judge_calls: the same notes were grouped before (no call)")
    else:
        cost = "no price set" if suggestion.cost_usd is None else number(suggestion.cost_usd, "$")
        console.print(
            f"judge tokens {suggestion.input_tokens} in / {suggestion.output_tokens} out,"
            f" cost {cost}"
        )
    console.print(
        Text(
            f"wrote {out}: accept, rename, merge, split or drop the modes there, then run\n"
            f"  fieldeval failures apply {suite} {out}"
        ),
        soft_wrap=True,
    )


def _render_applied(applied: Applied, suite: Path) -> None:
    from rich.text import Text

    from fieldeval.cli.console import console, count

    console.print(
        Text(
            f"labelled {count(applied.outputs, 'output')} of run {applied.run_id} with"
            f" {count(applied.modes, 'failure mode')} ({count(applied.labels, 'label')},"
            " replacing the previous apply)"
        ),
        soft_wrap=True,
    )
    if applied.tied:
        console.print(
            Text(
                f"{', '.join(applied.tied)}: the suite labels these from a check or criterion,"
                " so the labels given here are not used"
            ),
            style="yellow",
            soft_wrap=True,
        )
    if applied.missing:
        ids = ", ".join(mode.id for mode in applied.missing)
        one = len(applied.missing) == 1
        console.print(
            Text(
                f"{ids} {'is' if one else 'are'} not in {suite} yet: the labels count once the"
                f" suite lists {'it' if one else 'them'}. Paste this into the suite (only the"
                " entries, under its `failure_modes:` if it has one):\n"
            ),
            soft_wrap=True,
        )
        console.print(Text(applied.missing_yaml.rstrip("\n")), soft_wrap=True)
