"""Human grading of a run: blind items in a per-grader order, grades saved as they are given.

An item is one output with its input, shown under an opaque key so the grader never sees
which candidate wrote it. Every grader grades the same items, each in their own seeded order.
"""

from __future__ import annotations

import hashlib
import hmac
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property

from fieldeval.errors import UserError
from fieldeval.records.grade import Grade, PairGrade, Winner
from fieldeval.records.run import OutputKey
from fieldeval.store.grade_store import GradeStore
from fieldeval.store.store import Store
from fieldeval.suite.rubric import Criterion

ADJUDICATOR = "adjudicated"
_RESERVED = ("judge:", ADJUDICATOR)
MAX_NOTE = 4000


@dataclass(frozen=True)
class Item:
    """One output to grade. `candidate_id` stays on the server: grading is blind."""

    key: str
    candidate_id: str
    example_id: str
    repeat: int
    input: str
    reference: str | None
    output: str
    criteria: tuple[Criterion, ...]


@dataclass(frozen=True)
class PairItem:
    """Two candidates' outputs for one input; which side each is on is drawn per grader."""

    key: str
    example_id: str
    repeat: int
    input: str
    reference: str | None
    left_candidate: str
    right_candidate: str
    left_output: str
    right_output: str
    criteria: tuple[Criterion, ...]


@dataclass(frozen=True)
class Progress:
    done: int  # items with every criterion answered
    total: int
    answered: int  # criterion answers given
    answers_needed: int


@dataclass(frozen=True)
class Disagreement:
    item: Item
    criterion: Criterion
    grades: tuple[Grade, ...]  # one per human grader, under the current version
    settled: Grade | None


def check_grader_name(name: str) -> str:
    """A grader's name as stored; rejects names the tool keeps for itself."""
    name = name.strip()
    if not name or len(name) > 60:
        raise UserError("a grader's name must be 1 to 60 characters", hint="e.g. --grader ana")
    if name.startswith(_RESERVED):
        raise UserError(f"the grader name {name!r} is reserved", hint="pick a person's name")
    return name


@dataclass
class _Tally:
    """One grader's answers and how many items and answers they complete."""

    version: tuple[int, str | None]  # the store's count and latest change when read
    answers: dict[str, dict[str, Grade]] = field(default_factory=dict)
    answered: int = 0
    done: int = 0

    def add(self, item: Item, grade: Grade) -> None:
        given = self.answers.setdefault(item.key, {})
        if grade.criterion_id not in given:
            self.answered += 1
            if len(given) + 1 == len(item.criteria):
                self.done += 1
        given[grade.criterion_id] = grade


class GradingSession:
    """The human side of grading one run against a rubric."""

    def __init__(
        self, store: Store, run_id: str, rubric: Sequence[Criterion], *, seed: int = 0
    ) -> None:
        self.store = store
        self.grades = GradeStore(store)
        self.run = store.run(run_id)
        self.rubric = tuple(rubric)
        self.seed = seed
        self.grades.save_criteria((c.version, c.id, c.model_dump(mode="json")) for c in self.rubric)
        self._tallies: dict[str, _Tally] = {}

    # -- items ----------------------------------------------------------------------------

    @cached_property
    def _items(self) -> dict[str, Item]:
        examples = {example.id: example for example in self.store.examples(self.run.dataset_hash)}
        items: dict[str, Item] = {}
        for output in self.store.outputs(self.run.id):
            example = examples.get(output.example_id)
            if not output.ok or output.text is None or example is None:
                continue
            criteria = tuple(
                c for c in self.rubric if c.applies(output.candidate_id, example.slices)
            )
            if not criteria:
                continue
            key = self._key(*OutputKey.of(output))
            items[key] = Item(
                key=key,
                candidate_id=output.candidate_id,
                example_id=output.example_id,
                repeat=output.repeat,
                input=example.input,
                reference=example.reference,
                output=output.text,
                criteria=criteria,
            )
        return items

    @cached_property
    def _secret(self) -> bytes:
        return self.grades.blinding_key().encode("ascii")

    def _key(self, *parts: object) -> str:
        # Keyed with the store's secret: knowing the candidates' ids must not let a grader
        # work out which one wrote an output from its key.
        text = "\x1f".join([self.run.id, *map(str, parts)])
        return hmac.new(self._secret, text.encode("utf-8"), hashlib.sha256).hexdigest()[:16]

    def items(self, grader: str) -> list[Item]:
        """Every item, in this grader's own order (the same each time they come back)."""
        ordered = sorted(self._items.values(), key=lambda item: item.key)
        random.Random(f"{self.seed}:{self.run.id}:{grader}").shuffle(ordered)
        return ordered

    def item(self, key: str) -> Item:
        try:
            return self._items[key]
        except KeyError:
            raise UserError(f"no output to grade with key {key!r} in run {self.run.id}") from None

    def criterion(self, item: Item, criterion_id: str) -> Criterion:
        for criterion in item.criteria:
            if criterion.id == criterion_id:
                return criterion
        raise UserError(f"criterion {criterion_id!r} does not apply to this output")

    # -- grades ---------------------------------------------------------------------------

    def answers(self, grader: str) -> dict[str, dict[str, Grade]]:
        """item key -> criterion id -> this grader's grade under the criterion's current version.

        Read from the store once per grader and kept up to date by `record`; read again
        only when the store's count or latest change of this grader's grades says that
        someone else (another process, the CLI) wrote some since. Do not modify it.
        """
        return self._tally(grader).answers

    def progress(self, grader: str) -> Progress:
        """Items and answers done, from counters `record` keeps: a save touches the one
        item it grades, not the whole set."""
        tally = self._tally(grader)
        return Progress(
            done=tally.done,
            total=len(self._items),
            answered=tally.answered,
            answers_needed=self._answers_needed,
        )

    @cached_property
    def _answers_needed(self) -> int:
        return sum(len(item.criteria) for item in self._items.values())

    def _tally(self, grader: str) -> _Tally:
        version = self.grades.grades_version(self.run.id, grader)
        tally = self._tallies.get(grader)
        if tally is None or tally.version != version:
            tally = self._read_tally(grader, version)
            self._tallies[grader] = tally
        return tally

    def _read_tally(self, grader: str, version: tuple[int, str | None]) -> _Tally:
        current = {c.id: c.version for c in self.rubric}
        by_output = {OutputKey.of(i): i.key for i in self._items.values()}
        tally = _Tally(version=version)
        for grade in self.grades.grades(self.run.id, grader=grader):
            key = by_output.get(OutputKey.of(grade))
            if key is not None and current.get(grade.criterion_id) == grade.criterion_version:
                tally.add(self._items[key], grade)
        return tally

    def record(
        self,
        grader: str,
        key: str,
        criterion_id: str,
        value: int | None,
        note: str | None = None,
        *,
        kind: str = "human",
    ) -> Grade:
        """Save one answer at once; a fail needs a note saying what went wrong."""
        if kind == "human":
            grader = check_grader_name(grader)
        item = self.item(key)
        criterion = self.criterion(item, criterion_id)
        note = (note or "").strip() or None
        if note is not None and len(note) > MAX_NOTE:
            raise UserError(f"a note is at most {MAX_NOTE} characters")
        if value is not None:
            if value not in criterion.values():
                allowed = ", ".join(map(str, criterion.values()))
                raise UserError(f"{criterion.id}: {value} is not on its scale ({allowed})")
            if not criterion.passes(value) and note is None:
                raise UserError(
                    f"{criterion.id}: a fail needs a note",
                    hint="say in a few words what went wrong; the notes become failure modes",
                )
        # Up to date with the store first, so that after the save only this one is new.
        tally = self._tally(grader)
        saved = self.grades.save_grade(
            Grade(
                run_id=self.run.id,
                candidate_id=item.candidate_id,
                example_id=item.example_id,
                repeat=item.repeat,
                criterion_id=criterion.id,
                criterion_version=criterion.version,
                grader=grader,
                grader_kind="adjudicated" if kind == "adjudicated" else "human",
                value=value,
                note=note,
            )
        )
        tally.add(item, saved)
        tally.version = self.grades.grades_version(self.run.id, grader)
        return saved

    # -- side by side ---------------------------------------------------------------------

    def pair_items(self, grader: str, first: str, second: str) -> list[PairItem]:
        """Examples both candidates answered, each with sides drawn for this grader."""
        by_output = {OutputKey.of(i): i for i in self._items.values()}
        pairs: list[PairItem] = []
        for (candidate, example_id, repeat), one in sorted(by_output.items()):
            other = by_output.get(OutputKey(second, example_id, repeat))
            if candidate != first or other is None:
                continue
            key = self._pair_key(first, second, example_id, repeat)
            flip = random.Random(f"{self.seed}:{key}:{grader}").random() < 0.5
            left, right = (other, one) if flip else (one, other)
            shared = tuple(c for c in one.criteria if c in other.criteria)
            if not shared:
                continue
            pairs.append(
                PairItem(
                    key=key,
                    example_id=example_id,
                    repeat=repeat,
                    input=one.input,
                    reference=one.reference,
                    left_candidate=left.candidate_id,
                    right_candidate=right.candidate_id,
                    left_output=left.output,
                    right_output=right.output,
                    criteria=shared,
                )
            )
        random.Random(f"{self.seed}:{self.run.id}:{grader}:pairs").shuffle(pairs)
        return pairs

    def record_pair(
        self,
        grader: str,
        item: PairItem,
        criterion_id: str,
        winner: Winner,
        note: str | None = None,
    ) -> PairGrade:
        grader = check_grader_name(grader)
        if winner not in ("left", "right", "tie"):
            raise UserError(f"winner must be left, right or tie, not {winner!r}")
        criterion = next((c for c in item.criteria if c.id == criterion_id), None)
        if criterion is None:
            raise UserError(f"criterion {criterion_id!r} does not apply to this pair")
        if note is not None and len(note.strip()) > MAX_NOTE:
            raise UserError(f"a note is at most {MAX_NOTE} characters")
        grade = PairGrade(
            run_id=self.run.id,
            example_id=item.example_id,
            repeat=item.repeat,
            criterion_id=criterion.id,
            criterion_version=criterion.version,
            grader=grader,
            grader_kind="human",
            left_candidate=item.left_candidate,
            right_candidate=item.right_candidate,
            winner=winner,
            note=(note or "").strip() or None,
        )
        self.grades.save_pair_grade(grade)
        return grade

    def _pair_key(self, first: str, second: str, example_id: str, repeat: int) -> str:
        return self._key("pair", *sorted((first, second)), example_id, repeat)

    def pair_answers(self, grader: str) -> dict[tuple[str, str], PairGrade]:
        """(pair key, criterion id) -> this grader's choice under the current version."""
        current = {c.id: c.version for c in self.rubric}
        return {
            (
                self._pair_key(g.left_candidate, g.right_candidate, g.example_id, g.repeat),
                g.criterion_id,
            ): g
            for g in self.grades.pair_grades(self.run.id)
            if g.grader == grader and current.get(g.criterion_id) == g.criterion_version
        }

    # -- disagreements --------------------------------------------------------------------

    def disagreements(self, criterion_id: str | None = None) -> list[Disagreement]:
        """Outputs where people's grades differ, with the settled grade if there is one."""
        found: list[Disagreement] = []
        by_output: dict[tuple[str, str, int, str], list[Grade]] = {}
        versions = {c.id: c.version for c in self.rubric}
        for grade in self.grades.grades(self.run.id, criterion_id=criterion_id):
            if versions.get(grade.criterion_id) != grade.criterion_version:
                continue
            key = (grade.candidate_id, grade.example_id, grade.repeat, grade.criterion_id)
            by_output.setdefault(key, []).append(grade)
        items = {OutputKey.of(i): i for i in self._items.values()}
        for (candidate, example_id, repeat, cid), grades in sorted(by_output.items()):
            human = tuple(g for g in grades if g.grader_kind == "human")
            if (
                len({g.value for g in human}) < 2
                or OutputKey(candidate, example_id, repeat) not in items
            ):
                continue
            item = items[OutputKey(candidate, example_id, repeat)]
            criterion = next((c for c in item.criteria if c.id == cid), None)
            if criterion is None:
                continue  # applies_to no longer covers this output (it is not in the version)
            settled = next((g for g in grades if g.grader_kind == "adjudicated"), None)
            found.append(Disagreement(item, criterion, human, settled))
        return found

    def settle(
        self, adjudicator: str, key: str, criterion_id: str, value: int | None, note: str | None
    ) -> Grade:
        """Record the final grade for a disagreement, with who settled it."""
        adjudicator = check_grader_name(adjudicator)
        note = f"settled by {adjudicator}" + (f": {note.strip()}" if note and note.strip() else "")
        return self.record(ADJUDICATOR, key, criterion_id, value, note, kind="adjudicated")
