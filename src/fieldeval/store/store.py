"""`Store`: the one place that speaks SQL. Returns dataclasses, never ORM rows."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, bindparam, delete, func, insert, select, update
from sqlalchemy.engine import RowMapping
from sqlalchemy.exc import SQLAlchemyError

from fieldeval.errors import StoreError, UserError
from fieldeval.providers.price_table import PriceSnapshot
from fieldeval.records.check_result import CheckResult
from fieldeval.records.completion import Completion
from fieldeval.records.example import Dataset
from fieldeval.records.run import (
    OutputKey,
    OutputRecord,
    RunInfo,
    StoredExample,
    StoredOutput,
)
from fieldeval.store.engine import database_url, once_more_on_conflict, open_engine
from fieldeval.store.integrity import integrity_problems
from fieldeval.store.rows import (
    COMPLETION_COLUMNS,
    check_result,
    completion_from_row,
    output_row,
    stored_output,
)
from fieldeval.store.tables import (
    check_results,
    datasets,
    examples,
    outputs,
    run_candidates,
    runs,
)
from fieldeval.suite.candidates import Price

_IN_CHUNK = 500  # stays under SQLite's bound-parameter limit


def _now() -> datetime:
    return datetime.now(UTC)


class Store:
    """Runs, dataset versions, examples, candidate snapshots, outputs and check results."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @classmethod
    def open(cls, url: str | None = None) -> Store:
        """Open (and migrate) the store at `url`, $FIELDEVAL_DB, or ./.fieldeval/."""
        return cls(open_engine(database_url(url)))

    @property
    def url(self) -> str:
        return self.engine.url.render_as_string(hide_password=True)

    def close(self) -> None:
        self.engine.dispose()

    # -- datasets -------------------------------------------------------------------------

    def save_dataset(self, dataset: Dataset) -> None:
        """Record a dataset version and its examples, once per content hash."""
        try:
            # Two runs of one dataset may both find it new; the second then finds it saved.
            once_more_on_conflict(lambda: self._save_dataset(dataset))
        except SQLAlchemyError as error:
            raise StoreError(f"could not save dataset {dataset.path}: {error}") from error

    def _save_dataset(self, dataset: Dataset) -> None:
        with self.engine.begin() as connection:
            known = connection.execute(
                select(datasets.c.hash).where(datasets.c.hash == dataset.content_hash)
            ).first()
            if known:
                return
            connection.execute(
                insert(datasets).values(
                    hash=dataset.content_hash,
                    path=str(dataset.path),
                    n_examples=len(dataset),
                    source_rows=dataset.source_rows,
                    created_at=_now(),
                )
            )
            rows = [
                {
                    "dataset_hash": dataset.content_hash,
                    "example_id": example.id,
                    "position": position,
                    "input": example.input,
                    "reference": example.reference,
                    "fields": dict(example.fields),
                    "slices": dict(example.slices or {}),
                    "source": example.source,
                }
                for position, example in enumerate(dataset.examples)
            ]
            if rows:
                connection.execute(insert(examples), rows)

    def examples(self, dataset_hash: str) -> list[StoredExample]:
        """A dataset version's examples, in their order."""
        with self.engine.connect() as connection:
            rows = connection.execute(
                select(examples)
                .where(examples.c.dataset_hash == dataset_hash)
                .order_by(examples.c.position)
            ).mappings()
            return [
                StoredExample(
                    id=row["example_id"],
                    input=row["input"],
                    reference=row["reference"],
                    fields=row["fields"],
                    slices=row["slices"],
                )
                for row in rows
            ]

    # -- runs -----------------------------------------------------------------------------

    def create_run(
        self,
        run: RunInfo,
        candidate_configs: Sequence[tuple[str, Mapping[str, Any], str]],
        prices: Mapping[str, dict[str, Any] | None] | None = None,
    ) -> None:
        """Record a new run and a snapshot of each candidate's config (id, config, hash).

        `prices` maps candidate ids to the `PriceSnapshot.to_dict()` each is billed at.
        """
        with self.engine.begin() as connection:
            connection.execute(
                insert(runs).values(
                    id=run.id,
                    suite_name=run.suite_name,
                    suite_path=run.suite_path,
                    suite_hash=run.suite_hash,
                    suite=dict(run.suite),
                    dataset_hash=run.dataset_hash,
                    status=run.status,
                    repeats=run.repeats,
                    n_planned=run.n_planned,
                    fieldeval_version=run.fieldeval_version,
                    started_at=run.started_at,
                )
            )
            connection.execute(
                insert(run_candidates),
                [
                    {
                        "run_id": run.id,
                        "candidate_id": cid,
                        "position": i,
                        "config": dict(cfg),
                        "config_hash": chash,
                        # Not written unless given, so a store still at an older schema
                        # (tests make one) can be written as that version wrote it.
                        **({} if prices is None else {"price": prices.get(cid)}),
                    }
                    for i, (cid, cfg, chash) in enumerate(candidate_configs)
                ],
            )

    def set_status(self, run_id: str, status: str) -> None:
        finished = _now() if status == "finished" else None
        with self.engine.begin() as connection:
            connection.execute(
                update(runs).where(runs.c.id == run_id).values(status=status, finished_at=finished)
            )

    def run(self, run_id: str) -> RunInfo:
        """A run by id, or by a unique prefix of its id."""
        with self.engine.connect() as connection:
            rows = (
                connection.execute(
                    select(runs).where(runs.c.id.startswith(run_id, autoescape=True)).limit(2)
                )
                .mappings()
                .all()
            )
            if len(rows) != 1:
                problem = "matches several runs" if rows else "matches no run"
                raise UserError(f"run {run_id!r} {problem}", hint="`fieldeval runs` lists them")
            return self._run_info(connection, rows[0])

    def runs(self, *, suite_name: str | None = None, limit: int = 50) -> list[RunInfo]:
        """Runs, newest first."""
        query = select(runs).order_by(runs.c.started_at.desc()).limit(limit)
        if suite_name is not None:
            query = query.where(runs.c.suite_name == suite_name)
        with self.engine.connect() as connection:
            return [self._run_info(connection, row) for row in connection.execute(query).mappings()]

    def latest_run(self, suite_name: str) -> RunInfo | None:
        found = self.runs(suite_name=suite_name, limit=1)
        return found[0] if found else None

    def _run_info(self, connection: Any, row: RowMapping) -> RunInfo:
        candidates = (
            connection.execute(
                select(run_candidates.c.candidate_id)
                .where(run_candidates.c.run_id == row["id"])
                .order_by(run_candidates.c.position)
            )
            .scalars()
            .all()
        )
        return RunInfo(
            id=row["id"],
            suite_name=row["suite_name"],
            suite_path=row["suite_path"],
            suite_hash=row["suite_hash"],
            suite=row["suite"],
            dataset_hash=row["dataset_hash"],
            status=row["status"],
            repeats=row["repeats"],
            n_planned=row["n_planned"],
            fieldeval_version=row["fieldeval_version"],
            started_at=row["started_at"],
            finished_at=row["finished_at"],
            candidates=tuple(candidates),
        )

    def candidate_configs(self, run_id: str) -> dict[str, Mapping[str, Any]]:
        with self.engine.connect() as connection:
            rows = connection.execute(
                select(run_candidates.c.candidate_id, run_candidates.c.config)
                .where(run_candidates.c.run_id == run_id)
                .order_by(run_candidates.c.position)
            )
            return dict(rows.all())

    def candidate_prices(self, run_id: str) -> dict[str, dict[str, Any] | None]:
        """Each candidate's stored price snapshot (`PriceSnapshot.to_dict()`), or None.

        A run stored before snapshots were kept falls back to the candidate's own `price:`.
        """
        columns = run_candidates.c
        with self.engine.connect() as connection:
            rows = connection.execute(
                select(columns.candidate_id, columns.config, columns.price)
                .where(columns.run_id == run_id)
                .order_by(columns.position)
            )
            return {cid: price or _suite_price(config) for cid, config, price in rows}

    # -- outputs --------------------------------------------------------------------------

    def answered_keys(self, run_id: str) -> set[OutputKey]:
        """Outputs already answered in a run (errors are not: a resume tries them again)."""
        query = select(outputs.c.candidate_id, outputs.c.example_id, outputs.c.repeat).where(
            outputs.c.run_id == run_id, outputs.c.error_kind.is_(None)
        )
        with self.engine.connect() as connection:
            return {OutputKey(c, e, r) for c, e, r in connection.execute(query)}

    def save_outputs(
        self, run_id: str, records: Sequence[OutputRecord], *, replace: bool = True
    ) -> None:
        """Store finished outputs and their checks in one transaction.

        With `replace`, an output already stored under the same key (an error retried on
        resume) is replaced; a new run, which has none, passes False and skips the lookup.
        Each step is one executemany, not a statement per record: at a fast server's pace
        the per-statement overhead was what bounded a run.
        """
        if not records:
            return
        # Later records replace earlier ones with the same key, as one by one would.
        records = list({record.key: record for record in records}.values())
        now = _now()
        try:
            with self.engine.begin() as connection:
                if replace:
                    self._delete_outputs(connection, run_id, records)
                inserted = connection.execute(
                    insert(outputs).returning(
                        outputs.c.id,
                        outputs.c.candidate_id,
                        outputs.c.example_id,
                        outputs.c.repeat,
                    ),
                    [output_row(run_id, record, now) for record in records],
                )
                ids = {OutputKey(c, e, r): output_id for output_id, c, e, r in inserted}
                check_rows = [
                    {
                        "output_id": ids[record.key],
                        "check_id": c.check_id,
                        "passed": c.passed,
                        "reason": c.reason,
                        "score": c.score,
                        "decides": c.decides,
                    }
                    for record in records
                    for c in record.checks
                ]
                if check_rows:
                    connection.execute(insert(check_results), check_rows)
        except SQLAlchemyError as error:
            raise StoreError(f"could not save outputs of run {run_id}: {error}") from error

    @staticmethod
    def _delete_outputs(connection: Any, run_id: str, records: Sequence[OutputRecord]) -> None:
        connection.execute(
            delete(outputs).where(
                outputs.c.run_id == bindparam("b_run_id"),
                outputs.c.candidate_id == bindparam("b_candidate_id"),
                outputs.c.example_id == bindparam("b_example_id"),
                outputs.c.repeat == bindparam("b_repeat"),
            ),
            [
                {
                    "b_run_id": run_id,
                    "b_candidate_id": r.key.candidate_id,
                    "b_example_id": r.key.example_id,
                    "b_repeat": r.key.repeat,
                }
                for r in records
            ],
        )

    def outputs(self, run_id: str) -> list[StoredOutput]:
        """Every output of a run with its check results, in candidate then example order."""
        with self.engine.connect() as connection:
            checks: dict[int, list[CheckResult]] = defaultdict(list)
            check_rows = connection.execute(
                select(check_results)
                .join(outputs, outputs.c.id == check_results.c.output_id)
                .where(outputs.c.run_id == run_id)
            ).mappings()
            for row in check_rows:
                checks[row["output_id"]].append(check_result(row))
            rows = connection.execute(
                select(outputs).where(outputs.c.run_id == run_id).order_by(outputs.c.id)
            ).mappings()
            return [stored_output(row, checks.get(row["id"], [])) for row in rows]

    def count_outputs(self, run_id: str) -> int:
        with self.engine.connect() as connection:
            return int(
                connection.execute(
                    select(func.count()).select_from(outputs).where(outputs.c.run_id == run_id)
                ).scalar_one()
            )

    # -- cache ----------------------------------------------------------------------------

    def cached(self, request_hashes: Iterable[str]) -> dict[str, Completion]:
        """Earlier answers to these exact requests, from any run.

        The cache is the outputs table itself: an answered output that was not itself served
        from the cache holds everything the call returned.
        """
        wanted = list(dict.fromkeys(request_hashes))
        found: dict[str, Completion] = {}
        columns = [outputs.c[name] for name in COMPLETION_COLUMNS]
        with self.engine.connect() as connection:
            for start in range(0, len(wanted), _IN_CHUNK):
                rows = connection.execute(
                    select(*columns)
                    .where(
                        outputs.c.request_hash.in_(wanted[start : start + _IN_CHUNK]),
                        outputs.c.error_kind.is_(None),
                        outputs.c.from_cache.is_(False),
                    )
                    .order_by(outputs.c.id)
                ).mappings()
                for row in rows:
                    found.setdefault(row["request_hash"], completion_from_row(row))
        return found

    # -- health ---------------------------------------------------------------------------

    def integrity_check(self) -> list[str]:
        """Problems the database finds in itself; empty when it is sound."""
        return integrity_problems(self.engine)


def _suite_price(config: Mapping[str, Any]) -> dict[str, Any] | None:
    price = config.get("price")
    if price is None:
        return None
    return PriceSnapshot(Price.model_validate(price), "suite").to_dict()
