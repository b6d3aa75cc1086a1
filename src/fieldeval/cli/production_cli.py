"""`fieldeval collect` and `fieldeval sample`: production traffic in, an eval set out."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer

from fieldeval.cli.options import DbOption, HostOption, TokenOption


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
    since: Annotated[
        datetime | None, typer.Option(help="Only calls from this time on (UTC).")
    ] = None,
    until: Annotated[
        datetime | None, typer.Option(help="Only calls before this time (UTC).")
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
        db=db,
    )
