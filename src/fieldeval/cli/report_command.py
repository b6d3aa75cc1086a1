"""`fieldeval report`: the decision report of a run, as one offline HTML file (and Markdown)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from fieldeval.cli.options import DbOption, RunOption, SuiteArgument


def report(
    suite: SuiteArgument,
    run_id: RunOption = None,
    html: Annotated[
        Path,
        # --out/-o as on export, init and import; --html, its first name, still works.
        typer.Option("--out", "-o", "--html", help="The HTML report to write (opens offline)."),
    ] = Path("fieldeval-report.html"),
    markdown: Annotated[
        Path | None,
        typer.Option("--markdown", help="Also write the report as Markdown, for a pull request."),
    ] = None,
    open_report: Annotated[
        bool, typer.Option("--open", help="Open the HTML report in the default browser.")
    ] = False,
    db: DbOption = None,
) -> None:
    """The decision report: quality, failures, latency and cost side by side, and what to ship."""
    from rich.text import Text

    from fieldeval.cli.console import console
    from fieldeval.cli.grading_commands import resolve_run
    from fieldeval.decision.evidence import decision
    from fieldeval.report.decision_html import write_decision_html
    from fieldeval.report.decision_markdown import write_decision_markdown
    from fieldeval.store import Store
    from fieldeval.suite.loader import load_suite

    loaded = load_suite(suite)
    store = Store.open(db)
    try:
        info = resolve_run(store, loaded, run_id)
        found = decision(store, loaded.suite, info.id, suite_path=str(suite))
    finally:
        store.close()
    write_decision_html(found, html)
    console.print(Text(f"wrote the decision report of run {info.id} to {html}"), soft_wrap=True)
    if markdown is not None:
        write_decision_markdown(found, markdown)
        console.print(Text(f"wrote it as Markdown to {markdown}"), soft_wrap=True)
    console.print(Text(found.recommendation.sentence, style="bold"), soft_wrap=True)
    for caveat in found.recommendation.caveats:
        console.print(Text(f"  - {caveat}"), soft_wrap=True)
    console.print(
        Text(f"to browse the outputs behind it: fieldeval serve {suite}", style="dim"),
        soft_wrap=True,
    )
    if open_report:
        from fieldeval.web.server import open_browser

        if not open_browser(html.resolve().as_uri()):
            console.print(Text(f"no graphical browser here: open {html} yourself"), soft_wrap=True)
