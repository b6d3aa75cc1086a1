"""The grading commands' options: `grade`, `judge`, `agreement`, `calibrate` and `serve`.

`main.py` registers them; each imports its implementation only when it runs.
"""

from __future__ import annotations

from typing import Annotated

import typer

from fieldeval.cli.options import DbOption, HostOption, RunOption, SuiteArgument, TokenOption


def grade(
    suite: SuiteArgument,
    run_id: RunOption = None,
    grader: Annotated[
        str | None, typer.Option(help="Your name (default: the page asks for it).")
    ] = None,
    pair: Annotated[
        str | None, typer.Option("--pair", help="A,B: grade two candidates side by side.")
    ] = None,
    disagreements: Annotated[
        bool, typer.Option("--disagreements", help="Open the screen that settles disagreements.")
    ] = False,
    informative: Annotated[
        bool,
        typer.Option(
            "--informative",
            help="Show first the outputs whose grade narrows the judge-corrected pass rates "
            "most (else each grader's own random order).",
        ),
    ] = False,
    host: HostOption = "127.0.0.1",
    port: Annotated[int, typer.Option(min=0, max=65535, help="Port; 0 picks a free one.")] = 8765,
    token: TokenOption = None,
    open_browser: Annotated[
        bool, typer.Option("--open/--no-open", help="Open the grading screen in a browser.")
    ] = True,
    db: DbOption = None,
) -> None:
    """Grade a run's outputs by hand in the browser: blind, keyboard-first, saved as you go."""
    from fieldeval.cli import grade_command

    grade_command.grade(
        suite,
        run_id=run_id,
        db=db,
        grader=grader,
        pair=pair,
        disagreements=disagreements,
        informative=informative,
        host=host,
        port=port,
        token=token,
        open_browser=open_browser,
    )


def judge(
    suite: SuiteArgument,
    run_id: RunOption = None,
    pair: Annotated[
        str | None,
        typer.Option("--pair", help="A,B: judge two candidates side by side instead."),
    ] = None,
    criterion: Annotated[
        list[str] | None, typer.Option("--criterion", "-c", help="Only this criterion.")
    ] = None,
    db: DbOption = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
) -> None:
    """Grade a run's outputs on the rubric with the suite's LLM judge."""
    from fieldeval.cli import grading_commands

    grading_commands.judge(
        suite, run_id=run_id, pair=pair, criteria=criterion or [], db=db, quiet=quiet
    )


def agreement(
    suite: SuiteArgument,
    run_id: RunOption = None,
    db: DbOption = None,
) -> None:
    """How far graders agree, per criterion: percent, Cohen's kappa, Krippendorff's alpha."""
    from fieldeval.cli import grading_commands

    grading_commands.agreement(suite, run_id=run_id, db=db)


def calibrate(
    suite: SuiteArgument,
    run_id: RunOption = None,
    db: DbOption = None,
) -> None:
    """Whether the LLM judge can stand in for people, per criterion, and why."""
    from fieldeval.cli import grading_commands

    grading_commands.calibrate(suite, run_id=run_id, db=db)


def serve(
    suite: SuiteArgument,
    run_id: RunOption = None,
    host: HostOption = "127.0.0.1",
    port: Annotated[int, typer.Option(min=0, max=65535, help="Port; 0 picks a free one.")] = 8766,
    token: TokenOption = None,
    open_browser: Annotated[
        bool, typer.Option("--open/--no-open", help="Open the runs list in a browser.")
    ] = True,
    db: DbOption = None,
) -> None:
    """Browse a suite's runs: outputs side by side, failures, comparisons (--run opens one)."""
    from fieldeval.cli import serve_command

    serve_command.serve(
        suite,
        run_id=run_id,
        db=db,
        host=host,
        port=port,
        token=token,
        open_browser=open_browser,
    )
