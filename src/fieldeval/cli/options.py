"""Arguments and options several commands share."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

DbOption = Annotated[
    str | None,
    typer.Option(
        "--db",
        envvar="FIELDEVAL_DB",
        help="Store URL or SQLite path (default: .fieldeval/fieldeval.db).",
    ),
]
SuiteArgument = Annotated[Path, typer.Argument(help="The suite file (YAML).", show_default=False)]
RunArgument = Annotated[str, typer.Argument(help="Run id or a unique prefix.", show_default=False)]
JsonOption = Annotated[
    str | None,
    typer.Option("--json", help="Also write JSON to this file ('-': only JSON, stdout)."),
]
RunOption = Annotated[
    str | None, typer.Option("--run", help="Run id or prefix (default: the latest).")
]
HostOption = Annotated[
    str, typer.Option(help="Address to listen on; other than loopback needs --token.")
]
TokenOption = Annotated[
    str | None,
    typer.Option(envvar="FIELDEVAL_TOKEN", help="The app's token (default: a new one)."),
]
SinceOption = Annotated[
    datetime | None, typer.Option(help="Production calls from this time on (UTC unless given).")
]
UntilOption = Annotated[
    datetime | None, typer.Option(help="Production calls before this time (UTC unless given).")
]


def as_utc(moment: datetime | None) -> datetime | None:
    """A time from the command line in UTC: one without a zone is read as UTC."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)
