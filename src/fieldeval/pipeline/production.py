"""Production traffic: `collect` it into the store, `sample` an eval set from it, check the
eval set's `coverage` of it and its `drift` since a baseline period."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fieldeval.production.coverage import CoverageReport
    from fieldeval.production.drift import DriftReport
    from fieldeval.production.sampling import ProductionSample
    from fieldeval.records.production import ProductionEvent, ProductionRecord
    from fieldeval.store import Store


@dataclass(frozen=True)
class Collected:
    """What a collection read and kept."""

    read: int  # model calls found
    added: int  # of them, not in the store before
    uncaptured: int  # of them, without the content an example needs, nor events giving it
    events: int = 0  # GenAI log events found (content logged apart from the span)
    events_added: int = 0


@dataclass(frozen=True)
class Sampled:
    sample: ProductionSample
    path: Path  # the eval set written
    suite_lines: str  # what a suite needs to run it, weighted to production


def collect(paths: Sequence[str | Path], *, db: str | None = None) -> Collected:
    """Read OTLP/JSON, OTLP protobuf and request-log files into the store's production records."""
    from fieldeval.traces.files import read_telemetry

    # Every file is read before anything is stored: a bad line stores nothing.
    read = [read_telemetry(Path(path)) for path in paths]
    records = [record for found in read for record in found.records]
    events = [event for found in read for event in found.events]
    return store_records(records, events, db=db)


def store_records(
    records: Sequence[ProductionRecord],
    events: Sequence[ProductionEvent] = (),
    *,
    db: str | None = None,
    store: Store | None = None,
) -> Collected:
    """Keep the records and events not stored yet (the receiver calls this per export)."""
    from fieldeval.store import Store
    from fieldeval.store.production_store import ProductionStore

    opened = Store.open(db) if store is None else store
    try:
        production = ProductionStore(opened)
        added = production.add(records)
        events_added = production.add_events(events)
    finally:
        if store is None:
            opened.close()
    logged = {event.span_id for event in events}
    uncaptured = sum(not r.captured and r.span_id not in logged for r in records)
    return Collected(len(records), added, uncaptured, len(events), events_added)


def sample(
    out: str | Path,
    *,
    n: int,
    by: Sequence[str] = (),
    min_per_stratum: int = 5,
    seed: int = 0,
    since: datetime | None = None,
    until: datetime | None = None,
    ids: Collection[str] | None = None,
    db: str | None = None,
) -> Sampled:
    """Draw an eval set of about `n` examples from the production records in [since, until)
    (only those `ids` name, when given: a cluster `drift` found)."""
    from fieldeval.errors import UserError
    from fieldeval.production.evalset import suite_lines, write_evalset
    from fieldeval.production.sampling import draw_sample

    records = _records(db, since, until)
    if ids is not None:
        wanted = set(ids)
        records = [record for record in records if record.id in wanted]
    drawn = draw_sample(records, n, by=by, min_per_stratum=min_per_stratum, seed=seed)
    if not drawn.examples:
        window = "" if since is None and until is None else " in that window"
        raise UserError(
            f"no production record{window} has both an input and an output to sample"
            f" ({drawn.records} records, {drawn.unusable} without content or failed)",
            hint="collect traces first (`fieldeval collect`), with message content captured:"
            " OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=true",
        )
    path = Path(out)
    write_evalset(path, drawn, by)
    return Sampled(sample=drawn, path=path, suite_lines=suite_lines(path, by))


def coverage(
    evalset: str | Path,
    *,
    by: Sequence[str] = (),
    pass_rate: float = 0.8,
    since: datetime | None = None,
    until: datetime | None = None,
    db: str | None = None,
) -> CoverageReport:
    """How well the eval set's examples cover the production records' strata."""
    from fieldeval.data.readers import read_records
    from fieldeval.production.coverage import coverage_report

    examples = [record.fields for record in read_records(Path(evalset))]
    return coverage_report(_records(db, since, until), examples, by=by, pass_rate=pass_rate)


def drift(
    *,
    baseline: tuple[datetime | None, datetime | None],
    later: tuple[datetime | None, datetime | None],
    by: Sequence[str] = (),
    evalset: str | Path | None = None,
    alpha: float = 0.05,
    seed: int = 0,
    db: str | None = None,
) -> DriftReport:
    """Whether the later period's traffic differs from the baseline period's (see
    `production.drift`), and the clusters of new inputs."""
    from fieldeval.data.dataset import as_text
    from fieldeval.data.readers import read_records
    from fieldeval.production.drift import drift_report

    inputs = None
    if evalset is not None:
        inputs = [as_text(r.fields.get("input")) for r in read_records(Path(evalset))]
    return drift_report(
        _records(db, *baseline),
        _records(db, *later),
        by=by,
        evalset_inputs=inputs,
        alpha=alpha,
        seed=seed,
    )


def _records(
    db: str | None, since: datetime | None, until: datetime | None
) -> list[ProductionRecord]:
    from fieldeval.store import Store

    store = Store.open(db)
    try:
        return production_records(store, since=since, until=until)
    finally:
        store.close()


def production_records(
    store: Store, *, since: datetime | None = None, until: datetime | None = None
) -> list[ProductionRecord]:
    """The stored model calls started in [since, until), oldest first, each with the content
    its instrumentation logged as events, apart from its span, joined in."""
    from fieldeval.store.production_store import ProductionStore
    from fieldeval.traces.events import with_events

    production = ProductionStore(store)
    records = list(production.records(since=since, until=until))
    lacking = [r.span_id for r in records if not r.captured and r.span_id is not None]
    events = production.events(lacking) if lacking else {}
    return [with_events(r, events[r.span_id]) if r.span_id in events else r for r in records]
