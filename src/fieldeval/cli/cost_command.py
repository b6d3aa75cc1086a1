"""`fieldeval cost SUITE`: what a run cost, what it would cost a month, and for what quality.

Only typer is imported up front: `fieldeval --help` builds the app without the store.
"""

from __future__ import annotations

from fieldeval.cli.options import DbOption, JsonOption, RunOption, SuiteArgument

STDOUT = "-"  # `--json -`: the JSON alone on stdout


def cost(
    suite: SuiteArgument,
    run_id: RunOption = None,
    json: JsonOption = None,
    db: DbOption = None,
) -> None:
    """Spend per candidate, cost per request and per success, the monthly projection at the
    suite's `volume:`, quality against cost, and public leaderboards beside this task."""
    from fieldeval.cli.console import console
    from fieldeval.cli.grading_commands import resolve_run
    from fieldeval.cost.report import cost_report
    from fieldeval.report.cost_export import cost_json
    from fieldeval.report.cost_table import render_cost_report
    from fieldeval.results.run_data import read_run
    from fieldeval.store import Store
    from fieldeval.suite.loader import load_suite

    loaded = load_suite(suite)
    store = Store.open(db)
    try:
        info = resolve_run(store, loaded, run_id)
        report = cost_report(loaded.suite, read_run(store, info.id))
    finally:
        store.close()
    if json is not None:
        _write(json, cost_json(report))
    if json != STDOUT:
        render_cost_report(report, console)


def _write(path: str, text: str) -> None:
    import sys
    from pathlib import Path

    from fieldeval.errors import UserError

    if path == STDOUT:
        sys.stdout.write(text)
        return
    try:
        Path(path).write_text(text, encoding="utf-8")
    except OSError as error:
        raise UserError(f"cannot write {path}: {error.strerror}") from None
