"""`fieldeval edges`: edge cases made from the team's examples, graded and reported.

    fieldeval edges SUITE [--run ID]                 grade a stored run's edge replies, show
    fieldeval edges SUITE --turns [--turn-every 5]   also replay conversations turn by turn
    fieldeval edges list                             the generators
    fieldeval edges preview SUITE [--example ID] [--generator NAME]   variants, no model call

Only typer is imported up front: `fieldeval --help` builds this app without the store.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table
from rich.text import Text

from fieldeval.cli.console import console, count
from fieldeval.cli.options import DbOption, RunOption, SuiteArgument
from fieldeval.cli.show_group import ShowByDefault

if TYPE_CHECKING:
    from fieldeval.edges.run_grading import EdgeGradingReport
    from fieldeval.judge.grader import ProgressHandler
    from fieldeval.store import Store
    from fieldeval.suite.loader import LoadedSuite

EDGES_HINT = (
    "add an `edges:` section to the suite, e.g.\n"
    "edges:\n"
    "  generators: [typos, injection, out_of_scope, very_short]\n"
    "  examples: 20\n"
    "`fieldeval edges list` shows every generator"
)


edges_app = typer.Typer(
    cls=ShowByDefault,
    help="Edge cases from your own examples: grade and show a run (`edges SUITE`),"
    " `list` the generators, `preview` the variants.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@edges_app.command()
def show(
    suite: SuiteArgument,
    run_id: RunOption = None,
    judge: Annotated[
        bool, typer.Option(help="Ask the suite's judge what the oracles cannot decide.")
    ] = True,
    turns: Annotated[
        bool,
        typer.Option(
            "--turns",
            help="Also replay each multi-turn conversation turn by turn (one call per"
            " checked turn) and show where each first broke a check.",
        ),
    ] = False,
    turn_every: Annotated[
        int, typer.Option("--turn-every", min=1, help="With --turns: check every Nth user turn.")
    ] = 5,
    turn_check: Annotated[
        list[str] | None,
        typer.Option(
            "--turn-check",
            help="With --turns: only this check id decides whether a turn held (repeatable),"
            " e.g. a persona check; default every check.",
        ),
    ] = None,
    db: DbOption = None,
) -> None:
    """Grade (or grade again) a run's replies to edge cases, then show the rates."""
    from fieldeval.cli.grading_commands import resolve_run
    from fieldeval.store import Store
    from fieldeval.suite.loader import load_suite

    loaded = load_suite(suite) if turns else _with_edges(suite)
    store = Store.open(db)
    try:
        info = resolve_run(store, loaded, run_id)
        only = tuple(turn_check or ())
        if turns:
            ids = [str(c.id) for c in loaded.suite.checks]
            _check_names(list(only), ids, "--turn-check", "checks")
            replay_and_report(store, loaded, info.id, every=turn_every, only=only)
            if loaded.suite.edges is None:
                return
        if not grade_and_show(store, loaded, info.id, judge=judge, turn_checks=only):
            from fieldeval.errors import UserError

            raise UserError(
                f"run {info.id} has no edge cases: it was run before `edges:` was added,"
                " or with --no-edges",
                hint=f"run them: fieldeval run {suite}",
            )
    finally:
        store.close()


def replay_and_report(
    store: Store, loaded: LoadedSuite, run_id: str, *, every: int, only: tuple[str, ...] = ()
) -> None:
    """Replay the run's conversations turn by turn; show the table unless the edges report will."""
    from fieldeval.edges.turn_results import summarize_turns
    from fieldeval.edges.turns import replay_turns
    from fieldeval.report.edges import render_turns
    from fieldeval.store.turn_store import TurnStore

    replay = replay_turns(loaded, store, run_id, every=every)
    console.print(
        Text(
            f"turn replay: {replay.conversations} conversations, {replay.calls} turn calls"
            f" ({replay.stored} already stored), {replay.failed} failed"
        )
    )
    if loaded.suite.edges is None:
        turns = TurnStore(store).turns(run_id)
        rows = summarize_turns(turns, store.run(run_id).candidates, only)
        if rows:
            render_turns(rows, console)


def grade_and_show(
    store: Store,
    loaded: LoadedSuite,
    run_id: str,
    *,
    judge: bool,
    quiet: bool = False,
    turn_checks: tuple[str, ...] = (),
) -> bool:
    """Grade the run's edge replies and show the report; False when it has no edge cases."""
    from fieldeval.edges.run_grading import grade_run_edges, has_edges

    if not has_edges(store, run_id):
        return False
    try:
        with contextlib.nullcontext() if quiet else edge_progress() as progress:
            graded = grade_run_edges(store, loaded, run_id, judge=judge, on_progress=progress)
    except KeyboardInterrupt:
        from fieldeval.errors import Interrupted

        raise Interrupted(
            "every outcome graded so far is stored", hint="run `fieldeval edges` again to finish"
        ) from None
    show_edge_grading(store, run_id, graded, turn_checks=turn_checks)
    return True


@edges_app.command("list")
def list_generators() -> None:
    """Every generator: its name, the behaviour it expects, and whether it needs a model."""
    from fieldeval.edges.registry import describe

    table = Table("generator", "expects", "model", "what it does")
    for name, expect, needs_model, summary in describe():
        table.add_row(
            Text(name), Text(expect.replace("_", " ")), "yes" if needs_model else "", Text(summary)
        )
    console.print(table)
    console.print(
        "model = rewrites text with the suite's `edges.translator`; the others are"
        " deterministic: the same seed always makes the same variants",
        style="dim",
    )


@edges_app.command()
def preview(
    suite: SuiteArgument,
    example: Annotated[
        list[str] | None, typer.Option("--example", help="Only this seed example (repeatable).")
    ] = None,
    generator: Annotated[
        list[str] | None, typer.Option("--generator", help="Only this generator (repeatable).")
    ] = None,
    db: DbOption = None,
) -> None:
    """Print the variants the suite makes, calling no model (only its translator, if used)."""
    from fieldeval.data.dataset import load_dataset
    from fieldeval.edges.expand import (
        fitting,
        make_variants,
        needs_rewrite,
        planned_generators,
    )

    loaded = _with_edges(suite)
    dataset = load_dataset(loaded.suite.dataset, base_dir=loaded.base_dir)
    planned = planned_generators(loaded.suite)
    _check_names(generator or [], [p.spec.name for p in planned], "--generator", "generators")
    _check_names(example or [], [e.id for e in dataset.examples], "--example", "examples")
    if needs_rewrite(loaded.suite):  # only the generators that rewrite text call it
        from fieldeval.edges.rewrite import Rewriter
        from fieldeval.store import Store

        store = Store.open(db)
        try:
            with Rewriter(loaded, store) as rewriter:
                made = make_variants(
                    dataset,
                    loaded.suite,
                    rewrite=rewriter,
                    only_examples=example or (),
                    only_generators=generator or (),
                )
        finally:
            store.close()
    else:
        made = make_variants(
            dataset, loaded.suite, only_examples=example or (), only_generators=generator or ()
        )
    for note in fitting(loaded.suite, dataset).notes():
        console.print(Text(note), style="dim" if note.startswith("task kind") else "yellow")
    for _seed, variant in made:
        console.rule(Text(f"{variant.id}  expects {variant.expect.replace('_', ' ')}"))
        if variant.note:
            console.print(Text(variant.note), style="dim")
        for message in variant.prefix_messages:
            role, content = message.get("role", "?"), message.get("content", "")
            console.print(Text(f"[{role}] {_short(content)}"), style="cyan")
        console.print(Text(variant.input))
        oracle = ", ".join(f"{k}={repr(v)[:80]}" for k, v in variant.oracle.items())
        if oracle:
            console.print(Text(f"oracle: {oracle}"), style="dim")
    console.print(count(len(made), "variant"), style="bold")


def _with_edges(suite: Path) -> LoadedSuite:
    from fieldeval.errors import ConfigError
    from fieldeval.suite.loader import load_suite

    loaded = load_suite(suite)
    if loaded.suite.edges is None:
        raise ConfigError(f"{suite}: the suite has no `edges:` section", hint=EDGES_HINT)
    return loaded


def _check_names(given: list[str], known: list[str], option: str, what: str) -> None:
    from fieldeval.errors import UserError

    for name in given:
        if name not in known:
            shown = ", ".join(known[:20]) + (" …" if len(known) > 20 else "")
            raise UserError(f"{option} {name!r} is not one of the suite's {what}: {shown}")


def _short(text: str, limit: int = 160) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def show_edge_grading(
    store: Store, run_id: str, graded: EdgeGradingReport, *, turn_checks: tuple[str, ...] = ()
) -> None:
    """What the grading did, then the run's edge-case report."""
    from fieldeval.edges.rates import edge_report
    from fieldeval.report.edges import render_edge_grading, render_edges

    report = edge_report(store, run_id, turn_checks=turn_checks)
    earlier = sum(row.graded for row in report.totals) - graded.graded if report else 0
    render_edge_grading(graded, console, earlier=max(earlier, 0))
    if report is not None:
        render_edges(report, console)


@contextmanager
def edge_progress(what: str = "grading edge cases") -> Iterator[ProgressHandler]:
    """Progress over the replies graded, stopped on the way out."""
    from fieldeval.cli.progress import count_progress

    with count_progress(what, console) as progress:
        yield progress
