"""`GradeStore`: criteria versions, grades by people and the judge, and the judge's calls."""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, func, insert, null, select, update
from sqlalchemy.engine import RowMapping
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from fieldeval.errors import StoreError
from fieldeval.records.grade import FailureLabel, Grade, GraderKind, JudgeCall, PairGrade
from fieldeval.records.run import OutputKey
from fieldeval.store.engine import once_more_on_conflict
from fieldeval.store.store import Store
from fieldeval.store.tables import (
    criteria,
    failure_labels,
    grade_edits,
    grades,
    judge_calls,
    pair_grades,
    store_settings,
)


def _now() -> datetime:
    return datetime.now(UTC)


class GradeStore:
    """The grading tables of a `Store`'s database."""

    def __init__(self, store: Store) -> None:
        self.engine = store.engine

    def blinding_key(self) -> str:
        """This store's secret for naming grading items, made on first use."""
        query = select(store_settings.c.value).where(store_settings.c.name == "blinding_key")
        with self.engine.connect() as connection:
            found = connection.execute(query).scalar()
        if found is not None:
            return str(found)
        try:
            with self.engine.begin() as connection:
                connection.execute(
                    insert(store_settings).values(name="blinding_key", value=secrets.token_hex(32))
                )
        except IntegrityError:
            pass  # another process made it first; theirs is the one
        with self.engine.connect() as connection:
            return str(connection.execute(query).scalar_one())

    # -- criteria -------------------------------------------------------------------------

    def save_criteria(self, definitions: Iterable[tuple[str, str, Mapping[str, Any]]]) -> None:
        """Record (version, criterion id, definition) triples not seen before."""
        given = list(definitions)
        once_more_on_conflict(lambda: self._save_criteria(given))

    def _save_criteria(self, definitions: Sequence[tuple[str, str, Mapping[str, Any]]]) -> None:
        with self._begin() as connection:
            known = set(connection.execute(select(criteria.c.version)).scalars())
            rows = [
                {
                    "version": version,
                    "criterion_id": criterion_id,
                    "definition": dict(definition),
                    "created_at": _now(),
                }
                for version, criterion_id, definition in definitions
                if version not in known
            ]
            if rows:
                connection.execute(insert(criteria), rows)

    def criterion_definitions(self) -> dict[str, Mapping[str, Any]]:
        """Every criterion version ever graded: version -> definition."""
        with self.engine.connect() as connection:
            rows = connection.execute(select(criteria.c.version, criteria.c.definition))
            return {row.version: row.definition for row in rows}

    # -- grades ---------------------------------------------------------------------------

    def save_grade(self, grade: Grade) -> Grade:
        """Insert or change a grade; a change keeps the old value in the audit trail."""
        return once_more_on_conflict(lambda: self._save_grade(grade))

    def _save_grade(self, grade: Grade) -> Grade:
        key = _grade_key(grade)
        now = _now()
        with self._begin() as connection:
            existing = (
                connection.execute(select(grades).where(*_matches(grades, key))).mappings().first()
            )
            if existing is None:
                connection.execute(
                    insert(grades).values(
                        **key,
                        grader_kind=grade.grader_kind,
                        value=grade.value,
                        note=grade.note,
                        judge_call_id=grade.judge_call_id,
                        created_at=now,
                        updated_at=now,
                    )
                )
                created = now
            else:
                created = existing["created_at"]
                if existing["value"] != grade.value or existing["note"] != grade.note:
                    connection.execute(
                        insert(grade_edits).values(
                            grade_id=existing["id"],
                            old_value=existing["value"],
                            old_note=existing["note"],
                            changed_at=now,
                        )
                    )
                connection.execute(
                    update(grades)
                    .where(grades.c.id == existing["id"])
                    .values(
                        grader_kind=grade.grader_kind,
                        value=grade.value,
                        note=grade.note,
                        judge_call_id=grade.judge_call_id,
                        updated_at=now,
                    )
                )
        return Grade(**{**grade.__dict__, "created_at": created, "updated_at": now})

    def grades(
        self,
        run_id: str,
        *,
        criterion_id: str | None = None,
        grader: str | None = None,
        grader_kind: GraderKind | None = None,
    ) -> list[Grade]:
        query = select(grades).where(grades.c.run_id == run_id)
        if criterion_id is not None:
            query = query.where(grades.c.criterion_id == criterion_id)
        if grader is not None:
            query = query.where(grades.c.grader == grader)
        if grader_kind is not None:
            query = query.where(grades.c.grader_kind == grader_kind)
        with self.engine.connect() as connection:
            rows = connection.execute(query.order_by(grades.c.id)).mappings().all()
        return [_grade(row) for row in rows]

    def grades_version(self, run_id: str, grader: str) -> tuple[int, str | None]:
        """How many grades `grader` has in the run and when the latest was written: a
        cheap way to tell that someone else changed them since they were read."""
        query = select(func.count(), func.max(grades.c.updated_at)).where(
            grades.c.run_id == run_id, grades.c.grader == grader
        )
        with self.engine.connect() as connection:
            count, latest = connection.execute(query).one()
        return int(count), None if latest is None else str(latest)

    def edits(self, run_id: str) -> list[dict[str, Any]]:
        """The audit trail of a run's grades: each change with the value it replaced."""
        query = (
            select(grade_edits, grades.c.grader, grades.c.criterion_id, grades.c.example_id)
            .join(grades, grades.c.id == grade_edits.c.grade_id)
            .where(grades.c.run_id == run_id)
            .order_by(grade_edits.c.id)
        )
        with self.engine.connect() as connection:
            return [dict(row) for row in connection.execute(query).mappings()]

    # -- side by side ---------------------------------------------------------------------

    def save_pair_grade(self, grade: PairGrade) -> None:
        """Insert or change one grader's side-by-side judgement."""
        once_more_on_conflict(lambda: self._save_pair_grade(grade))

    def _save_pair_grade(self, grade: PairGrade) -> None:
        key = {
            "run_id": grade.run_id,
            "example_id": grade.example_id,
            "repeat": grade.repeat,
            "criterion_id": grade.criterion_id,
            "criterion_version": grade.criterion_version,
            "grader": grade.grader,
            "left_candidate": grade.left_candidate,
            "right_candidate": grade.right_candidate,
        }
        values = {
            "grader_kind": grade.grader_kind,
            "winner": grade.winner,
            "note": grade.note,
            "judge_call_id": grade.judge_call_id,
        }
        with self._begin() as connection:
            existing = connection.execute(
                select(pair_grades.c.id).where(*_matches(pair_grades, key))
            ).scalar()
            if existing is None:
                connection.execute(insert(pair_grades).values(**key, **values, created_at=_now()))
            else:
                connection.execute(
                    update(pair_grades).where(pair_grades.c.id == existing).values(**values)
                )

    def pair_grades(self, run_id: str, *, criterion_id: str | None = None) -> list[PairGrade]:
        query = select(pair_grades).where(pair_grades.c.run_id == run_id)
        if criterion_id is not None:
            query = query.where(pair_grades.c.criterion_id == criterion_id)
        with self.engine.connect() as connection:
            rows = connection.execute(query.order_by(pair_grades.c.id)).mappings().all()
        return [
            PairGrade(**{name: row[name] for name in PairGrade.__dataclass_fields__})
            for row in rows
        ]

    # -- judge calls ----------------------------------------------------------------------

    def save_judge_call(self, call: JudgeCall) -> int:
        values = {
            name: getattr(call, name)
            for name in JudgeCall.__dataclass_fields__
            if name not in {"id", "created_at"}
        }
        values["request"] = dict(call.request)
        # SQL NULL, not JSON null: the cache looks for calls whose `parsed` IS NOT NULL.
        values["parsed"] = dict(call.parsed) if call.parsed is not None else null()
        with self._begin() as connection:
            result = connection.execute(insert(judge_calls).values(**values, created_at=_now()))
            return int(result.inserted_primary_key[0])

    def cached_judge_call(self, request_hash: str) -> JudgeCall | None:
        """The latest parsed answer to this exact judge request, if any."""
        query = (
            select(judge_calls)
            .where(judge_calls.c.request_hash == request_hash, judge_calls.c.parsed.is_not(None))
            .order_by(judge_calls.c.id.desc())
            .limit(1)
        )
        with self.engine.connect() as connection:
            row = connection.execute(query).mappings().first()
        return _judge_call(row) if row is not None else None

    def judge_calls(self, run_id: str) -> list[JudgeCall]:
        """The calls made while grading this run (cache hits are not calls)."""
        query = select(judge_calls).where(judge_calls.c.run_id == run_id).order_by(judge_calls.c.id)
        with self.engine.connect() as connection:
            return [_judge_call(row) for row in connection.execute(query).mappings()]

    # -- failure labels -------------------------------------------------------------------

    def replace_failure_labels(
        self, run_id: str, labeller: str, labels: Sequence[FailureLabel]
    ) -> None:
        """Make `labels` this labeller's whole labelling of the run, in one transaction."""
        with self._begin() as connection:
            connection.execute(
                delete(failure_labels).where(
                    failure_labels.c.run_id == run_id, failure_labels.c.labeller == labeller
                )
            )
            rows = [
                {**label.__dict__, "run_id": run_id, "labeller": labeller, "created_at": _now()}
                for label in labels
            ]
            if rows:
                connection.execute(insert(failure_labels), rows)

    def failure_labels(self, run_id: str) -> list[FailureLabel]:
        query = (
            select(failure_labels)
            .where(failure_labels.c.run_id == run_id)
            .order_by(failure_labels.c.id)
        )
        with self.engine.connect() as connection:
            rows = connection.execute(query).mappings().all()
        return [
            FailureLabel(**{name: row[name] for name in FailureLabel.__dataclass_fields__})
            for row in rows
        ]

    # -- plumbing -------------------------------------------------------------------------

    def _begin(self) -> Any:
        try:
            return self.engine.begin()
        except SQLAlchemyError as error:  # pragma: no cover - the engine opened already
            raise StoreError(f"cannot write grades: {error}") from error


def _grade_key(grade: Grade) -> dict[str, Any]:
    return {
        "run_id": grade.run_id,
        "candidate_id": grade.candidate_id,
        "example_id": grade.example_id,
        "repeat": grade.repeat,
        "criterion_id": grade.criterion_id,
        "criterion_version": grade.criterion_version,
        "grader": grade.grader,
    }


def _matches(table: Any, key: Mapping[str, Any]) -> list[Any]:
    return [table.c[name] == value for name, value in key.items()]


def _grade(row: RowMapping) -> Grade:
    return Grade(**{name: row[name] for name in Grade.__dataclass_fields__})


def _judge_call(row: RowMapping) -> JudgeCall:
    return JudgeCall(**{name: row[name] for name in JudgeCall.__dataclass_fields__})


def grades_by_output(
    rows: Sequence[Grade],
) -> dict[OutputKey, list[Grade]]:
    """Group grades by the output they grade: (candidate, example, repeat)."""
    grouped: dict[OutputKey, list[Grade]] = {}
    for grade in rows:
        grouped.setdefault(OutputKey.of(grade), []).append(grade)
    return grouped
