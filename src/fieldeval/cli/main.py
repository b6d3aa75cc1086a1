"""The `fieldeval` command: thin commands over the library, errors mapped to exit codes here."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from fieldeval.cli import (
    abstention_command,
    cost_command,
    export_command,
    grading_cli,
    production_cli,
    report_command,
)
from fieldeval.cli.edges_command import edges_app
from fieldeval.cli.failures_command import failures_app
from fieldeval.cli.import_command import import_suite_command
from fieldeval.cli.options import (
    DbOption,
    JsonOption,
    RunArgument,
    SinceOption,
    SuiteArgument,
    UntilOption,
)
from fieldeval.errors import FieldevalError

app = typer.Typer(
    name="fieldeval",
    help="Evaluate LLMs and LLM apps on your own task, with your own data.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


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
    judge: Annotated[
        bool, typer.Option(help="Grade the rubric with the suite's judge after the run.")
    ] = True,
    dry_run: Annotated[
        bool,
        typer.Option("--dry-run", help="Only say what the run would call and cost; call no model."),
    ] = False,
    edges: Annotated[
        bool, typer.Option(help="Also run the suite's edge cases (its `edges:` section).")
    ] = True,
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
        judge=judge,
        dry_run=dry_run,
        edges=edges,
    )


@app.command()
def runs(db: DbOption = None, limit: int = 20) -> None:
    """List stored runs, newest first."""
    from fieldeval.cli import commands

    commands.list_runs(db=db, limit=limit)


@app.command()
def show(run_id: RunArgument, db: DbOption = None) -> None:
    """Show a stored run's summary, its candidates paired and its flaky examples."""
    from fieldeval.cli import commands

    commands.show(run_id, db=db)


@app.command()
def plan(
    suite: SuiteArgument,
    pass_rate: Annotated[
        float | None,
        typer.Option(help="Expected pass rate, 0-1 (default: 0.8, or measured by --from-run)."),
    ] = None,
    discordance: Annotated[
        float | None,
        typer.Option(
            help="Expected share of examples two candidates disagree on, 0-1 "
            "(default: 2p(1-p), or measured by --from-run)."
        ),
    ] = None,
    target: Annotated[
        float | None,
        typer.Option(help="A difference in pass rate to detect, e.g. 0.1 for 10 points."),
    ] = None,
    from_run: Annotated[
        str | None,
        typer.Option(help="Measure pass rate and disagreement in this run's first 2 candidates."),
    ] = None,
    db: DbOption = None,
) -> None:
    """Before a run: the smallest difference the suite's examples can detect."""
    from fieldeval.cli import analysis_commands

    analysis_commands.plan(
        suite,
        pass_rate=pass_rate,
        discordance=discordance,
        target=target,
        from_run=from_run,
        db=db,
    )


@app.command()
def compare(
    run_a: RunArgument, run_b: RunArgument, json: JsonOption = None, db: DbOption = None
) -> None:
    """What changed from RUN_A to RUN_B, what moved, and which examples flipped."""
    from fieldeval.cli import analysis_commands

    analysis_commands.compare(run_a, run_b, json_path=json, db=db)


@app.command()
def gate(
    baseline: Annotated[
        str | None,
        typer.Option(help="Run to compare against (default: the finished run before --run)."),
    ] = None,
    run: Annotated[
        str | None,
        typer.Option(help="Run to gate (default: the latest finished run of the suite)."),
    ] = None,
    suite: Annotated[
        Path | None, typer.Option(help="Pick the runs of this suite (default: the latest run's).")
    ] = None,
    junit: Annotated[Path | None, typer.Option(help="Write a JUnit XML report here.")] = None,
    json: JsonOption = None,
    db: DbOption = None,
) -> None:
    """Fail (exit 1) on a regression, new critical failures or a missed threshold the data supports.

    Rules come from the `gate:` section of the gated run's suite; noise never fails it.
    """
    from fieldeval.cli import analysis_commands

    analysis_commands.gate(
        baseline=baseline, run=run, suite_path=suite, junit_path=junit, json_path=json, db=db
    )


@app.command()
def load(
    suite: SuiteArgument,
    candidate: Annotated[
        str | None, typer.Option(help="Candidate id (default: load.candidate, else the first).")
    ] = None,
    users: Annotated[
        str | None, typer.Option(help="Closed loop: users per level, e.g. 1,2,4,8.")
    ] = None,
    rates: Annotated[
        str | None, typer.Option(help="Open loop: requests per second per level, e.g. 1,2,5.")
    ] = None,
    duration: Annotated[
        float | None, typer.Option(help="Seconds measured per level (default: load.duration_s).")
    ] = None,
    warmup: Annotated[
        float | None,
        typer.Option(help="Seconds before each level is measured (default: load.warmup_s)."),
    ] = None,
    ramp: Annotated[
        float | None,
        typer.Option(
            help="Seconds over which each level's load rises, within the warm-up "
            "(default: load.ramp_s)."
        ),
    ] = None,
    all_levels: Annotated[
        bool,
        typer.Option("--all-levels", help="Run every level, not stop at the first that fails."),
    ] = False,
    refine: Annotated[
        int,
        typer.Option(min=0, help="Then bisect K times between the best level and the knee."),
    ] = 0,
    event_loop: Annotated[
        str | None,
        typer.Option(
            help="The client's event loop: asyncio or uvloop (extra `uvloop`; less CPU per "
            "streamed event). Default: load.event_loop."
        ),
    ] = None,
    workers: Annotated[
        int,
        typer.Option(min=1, help="Split each level over N Ray actors, one CPU each; 1: no Ray."),
    ] = 1,
    ray_address: Annotated[
        str | None,
        typer.Option(help="Ray cluster for --workers (default: start a local one)."),
    ] = None,
    html: Annotated[
        Path | None,
        typer.Option("--out", "-o", "--html", help="Also write the charts to this HTML file."),
    ] = None,
    replay: Annotated[
        bool,
        typer.Option(
            "--replay", help="Send the collected production calls of --since/--until again."
        ),
    ] = False,
    since: SinceOption = None,
    until: UntilOption = None,
    scale: Annotated[
        float, typer.Option(min=0.001, help="--replay: 2 sends twice as fast as production.")
    ] = 1.0,
    max_concurrency: Annotated[
        int | None, typer.Option(min=1, help="Open loop: at most this many in flight.")
    ] = None,
    db: DbOption = None,
) -> None:
    """Latency and throughput of one candidate as load grows, against the suite's targets."""
    from fieldeval.cli import load_command

    load_command.load(
        suite,
        candidate=candidate,
        users=users,
        rates=rates,
        duration=duration,
        warmup=warmup,
        ramp=ramp,
        all_levels=all_levels,
        refine=refine,
        event_loop=event_loop,
        workers=workers,
        ray_address=ray_address,
        html=html,
        replay=load_command.ReplayWindow(since, until, scale) if replay else None,
        max_concurrency=max_concurrency,
        db=db,
    )


@app.command("load-show")
def load_show(
    load_run: Annotated[
        str, typer.Argument(help="Load run id or a unique prefix.", show_default=False)
    ],
    html: Annotated[
        Path | None,
        typer.Option("--out", "-o", "--html", help="Also write the charts to this HTML file."),
    ] = None,
    db: DbOption = None,
) -> None:
    """Show a stored load run again, its metrics recomputed from every request."""
    from fieldeval.cli import load_command

    load_command.show(load_run, html=html, db=db)


for grading_command in (
    grading_cli.grade,
    grading_cli.judge,
    grading_cli.agreement,
    grading_cli.calibrate,
    grading_cli.serve,
):
    app.command()(grading_command)
app.command()(export_command.export)
app.command()(cost_command.cost)
app.command("report")(report_command.report)
app.command()(abstention_command.abstention)
app.command()(production_cli.collect)
app.command()(production_cli.sample)
app.command()(production_cli.coverage)
app.command()(production_cli.drift)

app.command("import")(import_suite_command)
app.add_typer(failures_app, name="failures")
app.add_typer(edges_app, name="edges")


def main() -> None:
    """Entry point: runs the app and maps errors to exit codes in one place."""
    from rich.console import Console
    from rich.text import Text

    err = Console(stderr=True, highlight=False)
    try:
        app()  # typer handles usage errors itself (exit 2) and exits with the command's code
    except FieldevalError as error:
        # Messages quote user data (paths, field names with [0]): never read them as markup.
        label = f"{error.label}: "
        err.print(Text.assemble((label, "bold red"), error.message), soft_wrap=True)
        if error.hint:
            err.print(Text.assemble(("hint: ", "bold"), error.hint), soft_wrap=True)
        sys.exit(error.exit_code)
