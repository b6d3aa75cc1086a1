"""`LoadStore`: load runs, their levels and every request they sent, in the store's database.

Times are kept in milliseconds to 3 decimals (a microsecond), so a level read back is
`as_stored(level)` exactly, and every metric recomputed from it matches the one first shown.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import insert, select, update
from sqlalchemy.engine import RowMapping
from sqlalchemy.exc import SQLAlchemyError

from fieldeval.errors import StoreError, UserError
from fieldeval.records.load import Level, LevelRun, Phase, RequestRecord
from fieldeval.store.store import Store
from fieldeval.store.tables import load_levels, load_requests, load_runs


@dataclass(frozen=True)
class LoadRunInfo:
    id: str
    suite_name: str
    suite_path: str
    candidate_id: str
    spec: Mapping[str, Any]  # the load section as run
    candidate_config: Mapping[str, Any]
    status: str  # running, finished, interrupted, failed
    started_at: datetime
    finished_at: datetime | None
    fieldeval_version: str


def as_stored(run: LevelRun) -> LevelRun:
    """`run` as reading it back returns it: times rounded as stored, records in sending order."""
    records = sorted((_rounded(record) for record in run.records), key=_sending_order)
    return replace(
        run,
        records=records,
        started_s=_s(run.started_s),
        steady_start_s=_s(run.steady_start_s),
        steady_end_s=_s(run.steady_end_s),
        ended_s=_s(run.ended_s),
        client_lag_ms=[round(lag, 3) for lag in run.client_lag_ms],
    )


class LoadStore:
    """The load-test tables of a `Store`'s database."""

    def __init__(self, store: Store) -> None:
        self.engine = store.engine

    def create(self, info: LoadRunInfo) -> None:
        with self.engine.begin() as connection:
            connection.execute(
                insert(load_runs).values(
                    id=info.id,
                    suite_name=info.suite_name,
                    suite_path=info.suite_path,
                    candidate_id=info.candidate_id,
                    spec=dict(info.spec),
                    candidate_config=dict(info.candidate_config),
                    status=info.status,
                    started_at=info.started_at,
                    finished_at=info.finished_at,
                    fieldeval_version=info.fieldeval_version,
                )
            )

    def save_level(self, load_run_id: str, run: LevelRun) -> None:
        """Store a level and all of its records in one transaction (one executemany)."""
        level = run.level
        try:
            with self.engine.begin() as connection:
                connection.execute(
                    insert(load_levels).values(
                        load_run_id=load_run_id,
                        level=level.index,
                        label=level.label,
                        mode=level.mode,
                        users=level.users,
                        rate=level.rate,
                        max_concurrency=level.max_concurrency,
                        started_ms=_ms(run.started_s),
                        steady_start_ms=_ms(run.steady_start_s),
                        steady_end_ms=_ms(run.steady_end_s),
                        ended_ms=_ms(run.ended_s),
                        client_lag_ms=[round(lag, 3) for lag in run.client_lag_ms],
                        client_cpu_fraction=run.client_cpu_fraction,
                    )
                )
                if run.records:
                    connection.execute(
                        insert(load_requests),
                        [_request_row(load_run_id, record) for record in run.records],
                    )
        except SQLAlchemyError as error:
            raise StoreError(
                f"could not save level {level.label} of load run {load_run_id}: {error}"
            ) from error

    def set_status(self, load_run_id: str, status: str) -> None:
        finished = datetime.now(UTC) if status != "running" else None
        with self.engine.begin() as connection:
            connection.execute(
                update(load_runs)
                .where(load_runs.c.id == load_run_id)
                .values(status=status, finished_at=finished)
            )

    def run(self, load_run_id: str) -> LoadRunInfo:
        """A load run by id, or by a unique prefix of its id."""
        query = (
            select(load_runs)
            .where(load_runs.c.id.startswith(load_run_id, autoescape=True))
            .limit(2)
        )
        with self.engine.connect() as connection:
            rows = connection.execute(query).mappings().all()
        if len(rows) != 1:
            problem = "matches several load runs" if rows else "matches no load run"
            raise UserError(
                f"load run {load_run_id!r} {problem}",
                hint="`fieldeval load` prints the id of the run it stores",
            )
        return _info(rows[0])

    def runs(self, *, limit: int = 50) -> list[LoadRunInfo]:
        """Load runs, newest first."""
        query = select(load_runs).order_by(load_runs.c.started_at.desc()).limit(limit)
        with self.engine.connect() as connection:
            return [_info(row) for row in connection.execute(query).mappings()]

    def levels(self, load_run_id: str) -> list[LevelRun]:
        """Every stored level of a load run, in sweep order, its records in sending order."""
        with self.engine.connect() as connection:
            records: dict[int, list[RequestRecord]] = defaultdict(list)
            request_rows = connection.execute(
                select(load_requests)
                .where(load_requests.c.load_run_id == load_run_id)
                .order_by(
                    load_requests.c.level,
                    load_requests.c.sent_ms,
                    load_requests.c.worker,
                    load_requests.c.seq,
                )
            ).mappings()
            for row in request_rows:
                records[row["level"]].append(_record(row))
            level_rows = connection.execute(
                select(load_levels)
                .where(load_levels.c.load_run_id == load_run_id)
                .order_by(load_levels.c.level)
            ).mappings()
            return [_level_run(row, records[row["level"]]) for row in level_rows]


def _request_row(load_run_id: str, record: RequestRecord) -> dict[str, Any]:
    return {
        "load_run_id": load_run_id,
        "level": record.level,
        "worker": record.worker,
        "seq": record.seq,
        "phase": record.phase,
        "intended_ms": _ms(record.intended_s),
        "sent_ms": _ms(record.sent_s),
        "first_byte_ms": _ms(record.first_byte_s),
        "first_token_ms": _ms(record.first_token_s),
        "end_ms": _ms(record.end_s),
        "chunk_times_ms": [_ms(t) for t in record.chunk_times_s],
        "input_tokens": record.input_tokens,
        "output_tokens": record.output_tokens,
        "tokens_estimated": record.tokens_estimated,
        "error_kind": record.error_kind,
    }


def _record(row: RowMapping) -> RequestRecord:
    return RequestRecord(
        level=row["level"],
        worker=row["worker"],
        seq=row["seq"],
        phase=cast(Phase, row["phase"]),
        intended_s=_from_ms(row["intended_ms"]),
        sent_s=row["sent_ms"] / 1000,
        first_byte_s=_from_ms(row["first_byte_ms"]),
        first_token_s=_from_ms(row["first_token_ms"]),
        chunk_times_s=[t / 1000 for t in row["chunk_times_ms"]],
        end_s=_from_ms(row["end_ms"]),
        input_tokens=row["input_tokens"],
        output_tokens=row["output_tokens"],
        tokens_estimated=row["tokens_estimated"],
        error_kind=row["error_kind"],
    )


def _level_run(row: RowMapping, records: list[RequestRecord]) -> LevelRun:
    level = Level(
        index=row["level"],
        mode=row["mode"],
        users=row["users"],
        rate=row["rate"],
        max_concurrency=row["max_concurrency"],
    )
    return LevelRun(
        level=level,
        records=records,
        started_s=row["started_ms"] / 1000,
        steady_start_s=row["steady_start_ms"] / 1000,
        steady_end_s=row["steady_end_ms"] / 1000,
        ended_s=row["ended_ms"] / 1000,
        client_lag_ms=list(row["client_lag_ms"]),
        client_cpu_fraction=row["client_cpu_fraction"],
    )


def _info(row: RowMapping) -> LoadRunInfo:
    return LoadRunInfo(
        id=row["id"],
        suite_name=row["suite_name"],
        suite_path=row["suite_path"],
        candidate_id=row["candidate_id"],
        spec=row["spec"],
        candidate_config=row["candidate_config"],
        status=row["status"],
        started_at=row["started_at"],
        finished_at=row["finished_at"],
        fieldeval_version=row["fieldeval_version"],
    )


def _rounded(record: RequestRecord) -> RequestRecord:
    return replace(
        record,
        intended_s=_s_or_none(record.intended_s),
        sent_s=_s(record.sent_s),
        first_byte_s=_s_or_none(record.first_byte_s),
        first_token_s=_s_or_none(record.first_token_s),
        chunk_times_s=[_s(t) for t in record.chunk_times_s],
        end_s=_s_or_none(record.end_s),
    )


def _sending_order(record: RequestRecord) -> tuple[float, str, int]:
    return record.sent_s, record.worker, record.seq


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1000, 3)


def _from_ms(milliseconds: float | None) -> float | None:
    return None if milliseconds is None else milliseconds / 1000


def _s(seconds: float) -> float:
    """Seconds as they come back from the store: via milliseconds to 3 decimals."""
    return round(seconds * 1000, 3) / 1000


def _s_or_none(seconds: float | None) -> float | None:
    return None if seconds is None else _s(seconds)
