"""What `fieldeval collect` and `fieldeval sample` do and print."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

import typer
from rich.table import Table
from rich.text import Text

from fieldeval.cli.console import console
from fieldeval.cli.options import as_utc
from fieldeval.pipeline.production import Collected


def collect_files(files: Sequence[Path], *, db: str | None) -> None:
    import fieldeval

    collected = fieldeval.collect(files, db=db)
    console.print(Text(_collected_line(collected)), soft_wrap=True)


def receive(*, host: str, port: int, token: str | None, db: str | None) -> None:
    # The policy first: a refused --host must not wait on the store or the web framework.
    from fieldeval.web.security import security_for

    security = security_for(host, token, app="the trace receiver")
    from fieldeval.store import Store
    from fieldeval.web import server
    from fieldeval.web.collector import create_collector

    store = Store.open(db)
    try:
        app = create_collector(store, security, log=_log)
        sock = server.listen(host, port)
        url = server.url_for(sock, host, "/v1/traces", {})
        console.print(
            Text.assemble(("receiving OTLP/HTTP traces at ", ""), (url, "bold")), soft_wrap=True
        )
        endpoint = url.removesuffix("/v1/traces")
        console.print(
            Text(f"point the app at it: OTEL_EXPORTER_OTLP_ENDPOINT={endpoint}"), soft_wrap=True
        )
        if security.require_token:
            console.print(
                Text(f'and OTEL_EXPORTER_OTLP_HEADERS="Authorization=Bearer {security.token}"'),
                soft_wrap=True,
            )
        console.print("Ctrl-C stops", soft_wrap=True)
        sys.stdout.flush()  # a script reading the URL from a pipe must see it now
        server.serve(app, sock)
        console.print("stopped")
    finally:
        store.close()


def sample(
    out: Path,
    *,
    n: int,
    by: Sequence[str],
    min_per_stratum: int,
    seed: int,
    since: datetime | None,
    until: datetime | None,
    ids: Path | None,
    db: str | None,
) -> None:
    import fieldeval

    sampled = fieldeval.sample(
        out,
        n=n,
        by=by,
        min_per_stratum=min_per_stratum,
        seed=seed,
        since=as_utc(since),
        until=as_utc(until),
        ids=_ids(ids) if ids is not None else None,
        db=db,
    )
    drawn = sampled.sample
    table = Table("stratum", "calls", "distinct inputs", "drawn", "inclusion probability")
    for stratum in drawn.strata:
        share = stratum.drawn / stratum.inputs if stratum.inputs else 0.0
        table.add_row(
            Text(stratum.name),
            str(stratum.calls),
            str(stratum.inputs),
            str(stratum.drawn),
            f"{share:.4f}",
        )
    console.print(table)
    console.print(
        Text(
            f"wrote {len(drawn.examples)} examples to {sampled.path} from {drawn.records}"
            f" production records ({drawn.unusable} without an input and output,"
            " or failed, left out)"
        ),
        soft_wrap=True,
    )
    console.print(Text("to run it weighted to production, a suite beside it needs:"))
    console.print(Text(sampled.suite_lines), soft_wrap=True)


def _collected_line(collected: Collected) -> str:
    parts = []
    if collected.read or not collected.events:
        calls = "call" if collected.read == 1 else "calls"
        parts.append(f"{collected.read} model {calls} read, {collected.added} new")
    if collected.events:
        parts.append(f"{collected.events} GenAI log events read, {collected.events_added} new")
    line = "; ".join(parts)
    if collected.uncaptured:
        line += (
            f"; {collected.uncaptured} without message content on the span (turn on content"
            " capture, or export the instrumentation's log events too, to sample them)"
        )
    return line


def _log(collected: Collected) -> None:
    console.print(Text(_collected_line(collected)), soft_wrap=True)
    sys.stdout.flush()


def coverage(
    evalset: Path,
    *,
    by: Sequence[str],
    pass_rate: float,
    since: datetime | None,
    until: datetime | None,
    db: str | None,
) -> None:
    import fieldeval
    from fieldeval.report.production_drift import render_coverage

    report = fieldeval.coverage(
        evalset, by=by, pass_rate=pass_rate, since=as_utc(since), until=as_utc(until), db=db
    )
    render_coverage(report, console)


def drift(
    *,
    baseline: tuple[datetime | None, datetime | None],
    later: tuple[datetime | None, datetime | None],
    by: Sequence[str],
    evalset: Path | None,
    save_clusters: Path | None,
    seed: int,
    db: str | None,
) -> None:
    import fieldeval
    from fieldeval.files import write_atomically
    from fieldeval.report.production_drift import render_drift

    report = fieldeval.drift(
        baseline=(as_utc(baseline[0]), as_utc(baseline[1])),
        later=(as_utc(later[0]), as_utc(later[1])),
        by=by,
        evalset=evalset,
        seed=seed,
        db=db,
    )
    if save_clusters is not None:
        for number, cluster in enumerate(report.clusters, 1):
            ids = "".join(record_id + "\n" for record_id in cluster.record_ids)
            write_atomically(save_clusters / f"cluster-{number}.ids", ids)
    render_drift(report, console, saved=save_clusters)
    if report.drifted:
        raise typer.Exit(1)  # a verdict, as the gate's: a CI step can act on it


def _ids(path: Path) -> list[str]:
    from fieldeval.errors import DataError

    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise DataError(f"{path}: cannot read the record ids: {error}") from error
    return [line.strip() for line in text.splitlines() if line.strip()]
