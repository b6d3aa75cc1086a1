"""`fieldeval collect` and `fieldeval sample`: production traffic in, an eval set out."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer

from fieldeval.cli.options import DbOption, HostOption, SinceOption, TokenOption, UntilOption


def collect(
    files: Annotated[
        list[Path] | None,
        typer.Argument(
            help="OTLP/JSON, OTLP protobuf (.pb) or OpenAI request-log files;"
            " none: serve OTLP/HTTP.",
            show_default=False,
        ),
    ] = None,
    host: HostOption = "127.0.0.1",
    port: Annotated[int, typer.Option(min=0, max=65535, help="Port; 0 picks a free one.")] = 4318,
    token: TokenOption = None,
    db: DbOption = None,
) -> None:
    """Store production model calls: from trace and log files, or as an OTLP/HTTP receiver."""
    from fieldeval.cli import production_commands

    if files:
        production_commands.collect_files(files, db=db)
    else:
        production_commands.receive(host=host, port=port, token=token, db=db)


def sample(
    out: Annotated[Path, typer.Option("--out", "-o", help="The eval set to write (JSON Lines).")],
    n: Annotated[int, typer.Option("--n", min=1, help="Examples to draw.")] = 100,
    by: Annotated[
        list[str] | None,
        typer.Option(
            "--by",
            help="Stratify by an attribute (app.route, customer.tier...) or model, length, week,"
            " day, source; repeat for several.",
        ),
    ] = None,
    min_per_stratum: Annotated[
        int, typer.Option(min=1, help="At least this many from every stratum (rare ones too).")
    ] = 5,
    seed: Annotated[int, typer.Option(help="The same seed draws the same sample.")] = 0,
    since: SinceOption = None,
    until: UntilOption = None,
    ids: Annotated[
        Path | None,
        typer.Option(help="Only the records this file lists, one id a line (a drift cluster)."),
    ] = None,
    db: DbOption = None,
) -> None:
    """Draw an eval set from the collected calls, stratified, each example's weight kept."""
    from fieldeval.cli import production_commands

    production_commands.sample(
        out,
        n=n,
        by=by or [],
        min_per_stratum=min_per_stratum,
        seed=seed,
        since=since,
        until=until,
        ids=ids,
        db=db,
    )


ByOption = Annotated[
    list[str] | None,
    typer.Option("--by", help="A stratum field (attribute, model, length, week...); repeatable."),
]


def coverage(
    evalset: Annotated[Path, typer.Argument(help="The eval set (`fieldeval sample` wrote it).")],
    by: ByOption = None,
    pass_rate: Annotated[
        float, typer.Option(min=0.01, max=0.99, help="The pass rate the MDE assumes.")
    ] = 0.8,
    since: SinceOption = None,
    until: UntilOption = None,
    db: DbOption = None,
) -> None:
    """Which production strata the eval set has too few examples of, or none."""
    from fieldeval.cli import production_commands

    production_commands.coverage(
        evalset, by=by or [], pass_rate=pass_rate, since=since, until=until, db=db
    )


def drift(
    baseline_since: Annotated[
        datetime | None, typer.Option(help="The baseline period's start (UTC).")
    ] = None,
    baseline_until: Annotated[
        datetime | None, typer.Option(help="The baseline period's end (UTC).")
    ] = None,
    since: Annotated[datetime | None, typer.Option(help="The later period's start (UTC).")] = None,
    until: Annotated[datetime | None, typer.Option(help="The later period's end (UTC).")] = None,
    by: ByOption = None,
    evalset: Annotated[
        Path | None, typer.Option(help="Also find later inputs unlike every eval-set input.")
    ] = None,
    save_clusters: Annotated[
        Path | None, typer.Option(help="Write each new cluster's record ids to this folder.")
    ] = None,
    seed: Annotated[int, typer.Option(help="Seeds the baseline's random split.")] = 0,
    db: DbOption = None,
) -> None:
    """Has production traffic moved since a baseline period? Exit 1 when it has."""
    from fieldeval.cli import production_commands

    production_commands.drift(
        baseline=(baseline_since, baseline_until),
        later=(since, until),
        by=by or [],
        evalset=evalset,
        save_clusters=save_clusters,
        seed=seed,
        db=db,
    )
