"""`fieldeval load` and `fieldeval load-show`, over `fieldeval.load.session`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from fieldeval.cli.console import console
from fieldeval.cli.options import as_utc
from fieldeval.errors import ConfigError, Interrupted, UserError

if TYPE_CHECKING:
    from fieldeval.load.session import LoadResult
    from fieldeval.records.load import Level
    from fieldeval.store import Store
    from fieldeval.suite.load import Load

N = TypeVar("N", int, float)


def load(
    suite_path: Path,
    *,
    candidate: str | None,
    users: str | None,
    rates: str | None,
    duration: float | None,
    warmup: float | None,
    ramp: float | None,
    all_levels: bool,
    refine: int,
    event_loop: str | None,
    workers: int,
    ray_address: str | None,
    html: Path | None,
    replay: ReplayWindow | None = None,
    max_concurrency: int | None = None,
    db: str | None = None,
) -> None:
    from fieldeval.load.session import load_spec, run_load
    from fieldeval.load.sweep import SweepOptions
    from fieldeval.report.load_table import level_line, render_load
    from fieldeval.store import Store
    from fieldeval.suite.loader import load_suite

    loaded = load_suite(suite_path)
    spec = load_spec(
        loaded.suite.load,
        users=_numbers(users, "--users", int) if users else None,
        rates=_numbers(rates, "--rates", float) if rates else None,
        duration_s=duration,
        warmup_s=warmup,
        ramp_s=ramp,
        event_loop=event_loop,
    )
    if max_concurrency is not None:
        spec = spec.model_copy(update={"max_concurrency": max_concurrency})
    options = SweepOptions(
        all_levels=all_levels, refine=refine, workers=workers, ray_address=ray_address
    )
    store = Store.open(db)
    try:
        if replay is not None:
            if users or rates:
                raise UserError("--replay sends production's own schedule: drop --users/--rates")
            spec = _replayed(store, spec, replay)
        try:
            result = run_load(
                loaded,
                store,
                candidate_id=candidate,
                spec=spec,
                options=options,
                on_level_start=_announce(spec.warmup_s + spec.duration_s + spec.cooldown_s),
                on_level=lambda metrics: console.print(level_line(metrics)),
            )
        except KeyboardInterrupt:
            raise Interrupted(
                "every level that finished is stored",
                hint="`fieldeval load-show ID` shows them",
            ) from None
        render_load(result, console)
        _write_html(result, html)
        console.print(
            f"stored in [bold]{store.url}[/] as load run [bold]{result.info.id}[/]; "
            f"`fieldeval load-show {result.info.id}` shows it again",
            soft_wrap=True,
        )
    finally:
        store.close()


def show(load_run: str, *, html: Path | None, db: str | None) -> None:
    from fieldeval.load.session import stored_result
    from fieldeval.report.load_table import render_load
    from fieldeval.store import Store

    store = Store.open(db)
    try:
        result = stored_result(store, load_run)
    finally:
        store.close()
    render_load(result, console)
    _write_html(result, html)


def _announce(seconds: float) -> Callable[[Level, int], None]:
    """A line as each level starts: a default level runs for over half a minute."""

    def announce(level: Level, total: int) -> None:
        # Refining levels are indexed after the planned ones, and their number is open.
        step = f"level {level.index + 1}/{total}" if level.index < total else "refining"
        console.print(f"{step}: {level.label} for {seconds:g} s…", style="dim")

    return announce


def _write_html(result: LoadResult, path: Path | None) -> None:
    if path is None:
        return
    from fieldeval.report.load_html import write_load_html

    write_load_html(result, path)
    console.print(f"charts written to [bold]{path}[/]")


def _numbers(text: str, option: str, kind: Callable[[str], N]) -> list[N]:
    """`1,2,4` as numbers; a bad list is a usage error that names the option."""
    try:
        return [kind(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise ConfigError(
            f"{option} takes numbers separated by commas, got {text!r}", hint=f"{option} 1,2,4"
        ) from None


@dataclass(frozen=True)
class ReplayWindow:
    since: datetime | None
    until: datetime | None
    scale: float


def _replayed(store: Store, spec: Load, window: ReplayWindow) -> Load:
    """The spec as one level sending the window's production calls on their own schedule."""
    from fieldeval.load.replay import replay_spec
    from fieldeval.pipeline.production import production_records

    since, until = as_utc(window.since), as_utc(window.until)
    records = production_records(store, since=since, until=until)
    if records and since is None:
        since = records[0].started_at
    if records and until is None:
        until = records[-1].started_at + timedelta(milliseconds=1)
    if since is None or until is None:
        raise UserError(
            "no production record to replay", hint="collect traces first (`fieldeval collect`)"
        )
    return replay_spec(spec, records, since=since, until=until, scale=window.scale)
