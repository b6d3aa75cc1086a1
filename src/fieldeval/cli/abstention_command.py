"""`fieldeval abstention SUITE`: each candidate's answers and abstentions, the judge's pass
over the answers when the suite asks for it, and agreement with a person's labels.

    fieldeval abstention SUITE [--run ID]            the view (the judge reads the answers
                                                     first, with abstention.judge: true)
    fieldeval abstention SUITE --labels hand.csv     ... and how far it is from a person's
    fieldeval abstention SUITE --outputs             ... and how each output was read
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Annotated

import typer

from fieldeval.cli.options import DbOption, RunOption, SuiteArgument


def abstention(
    suite: SuiteArgument,
    run_id: RunOption = None,
    labels: Annotated[
        Path | None,
        typer.Option(help="A CSV of hand labels (candidate,example,outcome) to agree with."),
    ] = None,
    outputs: Annotated[
        bool, typer.Option("--outputs", help="List how each output was read, and why.")
    ] = False,
    judge: Annotated[
        bool,
        typer.Option(help="Let the judge read the answers first (with abstention.judge: true)."),
    ] = True,
    db: DbOption = None,
) -> None:
    """Answered, abstained or broke the format: right when answering, confidently wrong,
    over-abstention, risk–coverage."""
    from fieldeval.abstention.agreement import hand_agreement, read_hand_labels
    from fieldeval.abstention.judging import judge_abstentions
    from fieldeval.abstention.rates import abstention_of
    from fieldeval.cli.console import console
    from fieldeval.cli.edges_command import edge_progress
    from fieldeval.cli.grading_commands import resolve_run
    from fieldeval.report.abstention import render_abstention, render_agreement, render_outputs
    from fieldeval.results.run_data import read_run
    from fieldeval.store import Store
    from fieldeval.suite.loader import load_suite

    loaded = load_suite(suite)
    hand = read_hand_labels(labels) if labels is not None else None
    settings = loaded.suite.abstention
    store = Store.open(db)
    try:
        info = resolve_run(store, loaded, run_id)
        if judge and settings is not None and settings.judge and loaded.suite.judge is not None:
            quiet = not console.is_terminal
            with contextlib.nullcontext() if quiet else edge_progress("judging answers") as bar:
                done = judge_abstentions(store, loaded, info.id, on_progress=bar)
            console.print(
                f"the judge read {done.asked} answers ({done.abstained} did not answer after all);"
                f" {done.kept} read earlier are kept, {done.by_rule} the rules settled"
                + (f"; {done.undecided} without a usable answer" if done.undecided else "")
            )
        found = abstention_of(read_run(store, info.id))
        render_abstention(found, console)
        if outputs:
            render_outputs(found, console)
        if hand is not None:
            render_agreement(hand_agreement(found.outputs, hand), console, source=str(labels))
    finally:
        store.close()
