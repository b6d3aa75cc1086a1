"""`BrowseStore`: what the results pages read, a page at a time, filtered in SQL.

Nothing here loads a whole run: a page asks for its rows, and counts are counted by the
database. Output and input texts come back cut to a preview where a list shows them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import case, func, select, tuple_
from sqlalchemy.engine import Connection, RowMapping

from fieldeval.records.check_result import CheckResult
from fieldeval.records.grade import FailureLabel, Grade
from fieldeval.records.run import OutputKey, RunInfo, StoredExample, StoredOutput
from fieldeval.store.example_query import ExampleQuery, edge_of_example, example_conditions
from fieldeval.store.rows import check_result, stored_output
from fieldeval.store.store import Store
from fieldeval.store.tables import (
    check_results,
    examples,
    failure_labels,
    grades,
    outputs,
    run_candidates,
    runs,
)

PREVIEW_CHARS = 200


@dataclass(frozen=True)
class RunState:
    """What can change a run's analyses: outputs (while it runs), grades and labels."""

    status: str
    finished_at: datetime | None
    outputs: int
    grades: int
    last_graded: datetime | None
    labels: int
    last_label: int | None


@dataclass(frozen=True)
class CandidateTotals:
    """One candidate's outputs in a run: stored, answered, and passing every check."""

    candidate_id: str
    outputs: int
    answered: int
    passed: int


@dataclass(frozen=True)
class OutputPreview:
    candidate_id: str
    example_id: str
    repeat: int
    error_kind: str | None
    failed_checks: tuple[str, ...]
    preview: str  # the first PREVIEW_CHARS characters of the text; "" for an error
    truncated: bool

    @property
    def passed(self) -> bool:
        return self.error_kind is None and not self.failed_checks


@dataclass(frozen=True)
class ExampleRow:
    example_id: str
    position: int
    input_preview: str
    input_truncated: bool
    slices: dict[str, str]
    outputs: tuple[OutputPreview, ...]  # every output of the example in the run


@dataclass(frozen=True)
class ExamplePage:
    total: int  # examples matching, on every page
    rows: tuple[ExampleRow, ...]


class BrowseStore:
    """Read-only queries over a `Store`'s database for the web pages."""

    def __init__(self, store: Store) -> None:
        self.engine = store.engine

    # -- runs -----------------------------------------------------------------------------

    def runs(self, suite_name: str, *, offset: int, limit: int) -> tuple[list[RunInfo], int]:
        """A page of the suite's runs, newest first, and how many runs it has."""
        where = runs.c.suite_name == suite_name
        with self.engine.connect() as connection:
            total = connection.execute(
                select(func.count()).select_from(runs).where(where)
            ).scalar_one()
            rows = (
                connection.execute(
                    select(runs)
                    .where(where)
                    .order_by(runs.c.started_at.desc(), runs.c.id.desc())
                    .offset(offset)
                    .limit(limit)
                )
                .mappings()
                .all()
            )
            candidates = self._candidates(connection, [row["id"] for row in rows])
        return [_run_info(row, candidates.get(row["id"], ())) for row in rows], int(total)

    def previous_run(self, run: RunInfo) -> str | None:
        """The id of the suite's run started just before `run`, if any."""
        query = (
            select(runs.c.id)
            .where(runs.c.suite_name == run.suite_name, runs.c.started_at < run.started_at)
            .order_by(runs.c.started_at.desc())
            .limit(1)
        )
        with self.engine.connect() as connection:
            found = connection.execute(query).scalar()
        return str(found) if found is not None else None

    def state(self, run_id: str) -> RunState:
        with self.engine.connect() as connection:
            run = connection.execute(
                select(runs.c.status, runs.c.finished_at).where(runs.c.id == run_id)
            ).one()
            count = connection.execute(
                select(func.count()).select_from(outputs).where(outputs.c.run_id == run_id)
            ).scalar_one()
            graded = connection.execute(
                select(func.count(), func.max(grades.c.updated_at)).where(grades.c.run_id == run_id)
            ).one()
            labelled = connection.execute(
                select(func.count(), func.max(failure_labels.c.id)).where(
                    failure_labels.c.run_id == run_id
                )
            ).one()
        return RunState(run[0], run[1], count, graded[0], graded[1], labelled[0], labelled[1])

    def totals(self, run_ids: Sequence[str]) -> dict[str, list[CandidateTotals]]:
        """Per run, each candidate's outputs, answered ones and passing ones."""
        answered = outputs.c.error_kind.is_(None)
        failed = (
            select(check_results.c.output_id)
            .where(
                check_results.c.output_id == outputs.c.id,
                check_results.c.passed.is_(False),
                check_results.c.decides.is_(True),
            )
            .exists()
        )
        query = (
            select(
                outputs.c.run_id,
                outputs.c.candidate_id,
                func.count(),
                func.sum(case((answered, 1), else_=0)),
                func.sum(case((answered & ~failed, 1), else_=0)),
            )
            .where(outputs.c.run_id.in_(list(run_ids)))
            .group_by(outputs.c.run_id, outputs.c.candidate_id)
        )
        found: dict[str, list[CandidateTotals]] = defaultdict(list)
        with self.engine.connect() as connection:
            for run_id, cid, count, ok, passed in connection.execute(query):
                found[run_id].append(CandidateTotals(cid, count, int(ok or 0), int(passed or 0)))
        return dict(found)

    # -- examples -------------------------------------------------------------------------

    def slice_values(self, dataset_hash: str, names: Iterable[str]) -> dict[str, list[str]]:
        """Each slice's values in the dataset version, sorted."""
        found: dict[str, list[str]] = {}
        with self.engine.connect() as connection:
            for name in names:
                value = examples.c.slices[name].as_string()
                rows = connection.execute(
                    select(value).where(examples.c.dataset_hash == dataset_hash).distinct()
                ).scalars()
                found[name] = sorted(str(v) for v in rows if v is not None)
        return found

    def edge_values(self, dataset_hash: str) -> list[str]:
        """The edge kinds the examples carry (an `edge` slice or field); empty without one."""
        edge = edge_of_example()
        query = select(edge).where(examples.c.dataset_hash == dataset_hash).distinct()
        with self.engine.connect() as connection:
            return sorted(str(v) for v in connection.execute(query).scalars() if v)

    def example_page(self, run: RunInfo, query: ExampleQuery) -> ExamplePage:
        """The examples matching `query`, in dataset order, `query.limit` from `query.offset`."""
        where = example_conditions(
            run.id, run.dataset_hash, query, dialect=self.engine.dialect.name
        )
        with self.engine.connect() as connection:
            # The ids of every match, then the page's rows: the filter runs once, not twice.
            matching = (
                connection.execute(
                    select(examples.c.example_id).where(*where).order_by(examples.c.position)
                )
                .scalars()
                .all()
            )
            ids = list(matching[query.offset : query.offset + query.limit])
            rows = connection.execute(
                select(
                    examples.c.example_id,
                    examples.c.position,
                    func.substr(examples.c.input, 1, PREVIEW_CHARS + 1),
                    examples.c.slices,
                )
                .where(examples.c.dataset_hash == run.dataset_hash, examples.c.example_id.in_(ids))
                .order_by(examples.c.position)
            ).all()
            previews = self._previews(connection, run, ids)
        return ExamplePage(
            total=len(matching),
            rows=tuple(
                ExampleRow(
                    example_id=eid,
                    position=position,
                    input_preview=text[:PREVIEW_CHARS],
                    input_truncated=len(text) > PREVIEW_CHARS,
                    slices={str(k): str(v) for k, v in (slices or {}).items()},
                    outputs=tuple(previews.get(eid, ())),
                )
                for eid, position, text, slices in rows
            ),
        )

    def example(self, dataset_hash: str, example_id: str) -> StoredExample | None:
        query = select(examples).where(
            examples.c.dataset_hash == dataset_hash, examples.c.example_id == example_id
        )
        with self.engine.connect() as connection:
            row = connection.execute(query).mappings().first()
        if row is None:
            return None
        return StoredExample(
            row["example_id"], row["input"], row["reference"], row["fields"], row["slices"]
        )

    def outputs_of(self, run: RunInfo, example_id: str) -> list[StoredOutput]:
        """Every output of the run on one example, with its checks, by candidate and repeat."""
        where = [
            outputs.c.run_id == run.id,
            outputs.c.candidate_id.in_(run.candidates),
            outputs.c.example_id == example_id,
        ]
        with self.engine.connect() as connection:
            rows = connection.execute(select(outputs).where(*where)).mappings().all()
            checks = self._checks(connection, [row["id"] for row in rows])
        order = {cid: i for i, cid in enumerate(run.candidates)}
        found = [stored_output(row, checks.get(row["id"], [])) for row in rows]
        return sorted(found, key=lambda o: (order.get(o.candidate_id, len(order)), o.repeat))

    def grades_of(self, run: RunInfo, example_id: str) -> list[Grade]:
        """Every grade of the run's outputs on one example, oldest first."""
        query = (
            select(grades)
            .where(
                grades.c.run_id == run.id,
                grades.c.candidate_id.in_(run.candidates),
                grades.c.example_id == example_id,
            )
            .order_by(grades.c.id)
        )
        with self.engine.connect() as connection:
            rows = connection.execute(query).mappings().all()
        return [Grade(**{name: row[name] for name in Grade.__dataclass_fields__}) for row in rows]

    def labels_of(self, run: RunInfo, example_id: str) -> list[FailureLabel]:
        query = (
            select(failure_labels)
            .where(
                failure_labels.c.run_id == run.id,
                failure_labels.c.candidate_id.in_(run.candidates),
                failure_labels.c.example_id == example_id,
            )
            .order_by(failure_labels.c.id)
        )
        with self.engine.connect() as connection:
            rows = connection.execute(query).mappings().all()
        fields = FailureLabel.__dataclass_fields__
        return [FailureLabel(**{name: row[name] for name in fields}) for row in rows]

    def output_texts(self, run_id: str, keys: Sequence[OutputKey]) -> dict[OutputKey, str]:
        """The first PREVIEW_CHARS + 1 characters of these outputs' texts ("" for errors)."""
        if not keys:
            return {}
        key = tuple_(outputs.c.candidate_id, outputs.c.example_id, outputs.c.repeat)
        query = select(
            outputs.c.candidate_id,
            outputs.c.example_id,
            outputs.c.repeat,
            func.substr(outputs.c.text, 1, PREVIEW_CHARS + 1),
        ).where(outputs.c.run_id == run_id, key.in_(list(keys)))
        with self.engine.connect() as connection:
            return {OutputKey(c, e, r): text or "" for c, e, r, text in connection.execute(query)}

    # -- plumbing -------------------------------------------------------------------------

    def _previews(
        self, connection: Connection, run: RunInfo, example_ids: Sequence[str]
    ) -> dict[str, list[OutputPreview]]:
        if not example_ids:
            return {}
        rows = connection.execute(
            select(
                outputs.c.id,
                outputs.c.candidate_id,
                outputs.c.example_id,
                outputs.c.repeat,
                outputs.c.error_kind,
                func.substr(outputs.c.text, 1, PREVIEW_CHARS + 1),
            ).where(
                outputs.c.run_id == run.id,
                outputs.c.candidate_id.in_(run.candidates),
                outputs.c.example_id.in_(example_ids),
            )
        ).all()
        checks = self._checks(connection, [row[0] for row in rows], failed_only=True)
        order = {cid: i for i, cid in enumerate(run.candidates)}
        found: dict[str, list[OutputPreview]] = defaultdict(list)
        for output_id, cid, eid, repeat, error_kind, text in sorted(
            rows, key=lambda row: (order[row[1]], row[3])
        ):
            text = text or ""
            failed = tuple(check.check_id for check in checks.get(output_id, []))
            found[eid].append(
                OutputPreview(
                    cid,
                    eid,
                    repeat,
                    error_kind,
                    failed,
                    text[:PREVIEW_CHARS],
                    len(text) > PREVIEW_CHARS,
                )
            )
        return found

    @staticmethod
    def _checks(
        connection: Connection, output_ids: Sequence[int], *, failed_only: bool = False
    ) -> dict[int, list[CheckResult]]:
        if not output_ids:
            return {}
        query = select(check_results).where(check_results.c.output_id.in_(output_ids))
        if failed_only:
            query = query.where(check_results.c.passed.is_(False))
        found: dict[int, list[CheckResult]] = defaultdict(list)
        for row in connection.execute(query).mappings():
            found[row["output_id"]].append(check_result(row))
        return found

    @staticmethod
    def _candidates(connection: Connection, run_ids: Sequence[str]) -> dict[str, tuple[str, ...]]:
        rows = connection.execute(
            select(run_candidates.c.run_id, run_candidates.c.candidate_id)
            .where(run_candidates.c.run_id.in_(list(run_ids)))
            .order_by(run_candidates.c.run_id, run_candidates.c.position)
        )
        found: dict[str, list[str]] = defaultdict(list)
        for run_id, cid in rows:
            found[run_id].append(cid)
        return {run_id: tuple(cids) for run_id, cids in found.items()}


def _run_info(row: RowMapping, candidates: tuple[str, ...]) -> RunInfo:
    fields: dict[str, Any] = {
        name: row[name] for name in RunInfo.__dataclass_fields__ if name in row
    }
    return RunInfo(**{**fields, "candidates": candidates})
