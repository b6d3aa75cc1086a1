"""From people's notes to failure modes: collect, let the judge propose groups, apply the edit.

While grading, people write a note on each fail saying what went wrong (open coding).
`suggest_modes` asks the suite's judge to group those notes by root cause into proposed
failure modes; `write_suggestion` writes them to a YAML file a person edits (accept,
rename, merge, split, drop); `apply_coding` reads the edited file back and labels every
output it lists with its mode, as the labeller "coding".
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from fieldeval.errors import ConfigError, UserError
from fieldeval.failures.coding_file import (
    CodedMode,
    CodedNote,
    CodingFileError,
    modes_yaml,
    read_coding,
    write_suggestion,
)
from fieldeval.failures.coding_prompt import NoteText, coding_prompt
from fieldeval.failures.notes import Note, ProposedMode, Suggestion
from fieldeval.judge.client import JudgeClient
from fieldeval.providers import create_provider
from fieldeval.records.grade import FailureLabel, Grade
from fieldeval.records.run import OutputKey, RunInfo
from fieldeval.results.rubric import current
from fieldeval.store import Store
from fieldeval.store.grade_store import GradeStore
from fieldeval.suite.loader import LoadedSuite, Problem
from fieldeval.suite.rubric import Criterion

__all__ = [
    "Applied",
    "Note",
    "ProposedMode",
    "Suggestion",
    "apply_coding",
    "collect_notes",
    "suggest_modes",
    "write_suggestion",
]

LABELLER = "coding"
JUDGE_HINT = (
    "add a judge to the suite, e.g.\n"
    "judge:\n"
    "  candidate: gpt-4o    # one of the suite's candidates, or an entry with its own provider:"
)
# GradingSession.settle stores "settled by NAME" or "settled by NAME: NOTE".
_SETTLED = re.compile(r"^settled by (.+?)(?:: (.*))?$", re.DOTALL)


@dataclass(frozen=True)
class Applied:
    """What `apply_coding` stored."""

    run_id: str
    modes: int  # modes in the file
    outputs: int  # distinct outputs labelled
    labels: int  # (output, mode) labels stored
    missing: tuple[CodedMode, ...]  # modes the suite's failure_modes does not list
    tied: tuple[str, ...]  # modes the suite labels from a check or criterion instead

    @property
    def missing_yaml(self) -> str:
        """The entries to paste under the suite's `failure_modes:`."""
        return modes_yaml(self.missing) if self.missing else ""


def collect_notes(grades: Iterable[Grade], rubric: Sequence[Criterion]) -> list[Note]:
    """Every note people wrote on a failing grade under a criterion's current version.

    People's grades and settled ones count, not the judge's reasons; a grade fails when it
    has a value the criterion does not pass. Ordered by output, then criterion, then grader.
    """
    criteria = {criterion.id: criterion for criterion in rubric}
    order = {criterion.id: index for index, criterion in enumerate(rubric)}
    notes: list[Note] = []
    for grade in current(grades, rubric):
        if grade.grader_kind not in ("human", "adjudicated") or grade.value is None:
            continue
        if criteria[grade.criterion_id].passes(grade.value):
            continue
        grader, text = grade.grader, (grade.note or "").strip()
        if grade.grader_kind == "adjudicated":
            settled = _SETTLED.match(text)
            if settled is not None:
                grader, text = settled.group(1), (settled.group(2) or "").strip()
        if text:
            notes.append(
                Note(
                    grade.candidate_id,
                    grade.example_id,
                    grade.repeat,
                    grade.criterion_id,
                    grader,
                    text,
                )
            )
    notes.sort(key=lambda n: (n.candidate_id, n.example_id, n.repeat, order[n.criterion_id]))
    return notes


async def suggest_modes(
    store: Store, loaded: LoadedSuite, run_id: str, *, max_modes: int = 10
) -> Suggestion:
    """Ask the suite's judge to group the run's notes by root cause into proposed modes.

    Identical notes on the same criterion are shown once; the call is recorded in
    `judge_calls`, and the same question asked again is answered from there.
    """
    suite = loaded.suite
    if suite.judge is None:
        raise ConfigError(
            f"{loaded.path}: the suite has no judge to group the notes", hint=JUDGE_HINT
        )
    if max_modes < 1:
        raise UserError(f"--max-modes must be at least 1, not {max_modes}")
    run = _run_of(store, loaded, run_id)
    grades = GradeStore(store)
    notes = collect_notes(grades.grades(run.id), suite.rubric)
    if not notes:
        raise UserError(
            f"run {run.id} has no notes on failing grades to group",
            hint="grade it first, writing what went wrong on each fail:"
            f" fieldeval grade {loaded.path}",
        )
    distinct = list(dict.fromkeys(NoteText(note.criterion_id, note.text) for note in notes))
    number = {text: index for index, text in enumerate(distinct, start=1)}
    known = [mode for mode in suite.failure_modes if mode.assigned]
    prompt = coding_prompt(suite.task.description, distinct, max_modes=max_modes, known_modes=known)
    candidate = suite.judge_candidate()
    provider = create_provider(candidate, base_dir=loaded.base_dir)
    client = JudgeClient(
        candidate, provider, grades, run_id=run.id, malformed_retries=suite.judge.malformed_retries
    )
    try:
        ruling = await client.ask(prompt)
    finally:
        await provider.aclose()
    if ruling.parsed is None:
        raise UserError(
            f"the judge {candidate.id} gave no usable grouping: {ruling.error}",
            hint="the call is recorded in judge_calls; try again, raise judge.malformed_retries"
            " or the judge's max_tokens, or use a stronger judge model",
        )
    by_number: dict[int, list[Note]] = {}
    for note in notes:
        by_number.setdefault(number[NoteText(note.criterion_id, note.text)], []).append(note)
    modes: list[ProposedMode] = []
    placed: set[int] = set()
    for category in ruling.parsed["categories"]:
        numbers = [int(n) for n in category["notes"]]
        placed.update(numbers)
        modes.append(
            ProposedMode(
                id=str(category["id"]),
                definition=str(category["definition"]),
                severity=str(category["severity"]),
                notes=tuple(note for n in sorted(numbers) for note in by_number[n]),
            )
        )
    unsorted = tuple(
        note for n, group in sorted(by_number.items()) if n not in placed for note in group
    )
    tally = client.tally
    return Suggestion(
        run_id=run.id,
        judge_id=candidate.id,
        modes=tuple(modes),
        unsorted=unsorted,
        distinct=len(distinct),
        from_cache=ruling.from_cache,
        call_id=ruling.call_id,
        input_tokens=tally.input_tokens,
        output_tokens=tally.output_tokens,
        cost_usd=tally.cost_usd if tally.priced and tally.cost_known else None,
    )


def apply_coding(store: Store, loaded: LoadedSuite, run_id: str | None, path: Path) -> Applied:
    """Label every output the edited file lists with its mode, replacing the last coding.

    The run is `run_id`, else the one the file names, else the suite's latest. Every output
    must be one of the run's; modes the suite does not list are stored all the same and
    reported, with the entries to paste into the suite.
    """
    coded = read_coding(path)
    chosen = run_id or coded.run
    if chosen is None:
        latest = store.latest_run(loaded.suite.task.name)
        if latest is None:
            raise UserError(f"{path} names no run and {loaded.suite.task.name!r} has none yet")
        chosen = latest.id
    run = _run_of(store, loaded, chosen)
    outputs = {OutputKey.of(o).ref: o for o in store.outputs(run.id)}
    entries: list[CodedNote] = [note for mode in coded.modes for note in mode.notes]
    unknown = [
        Problem(
            note.where,
            f"{note.field}.output",
            f"no output {note.output!r} in run {run.id}",
            hint="name an output as CANDIDATE/EXAMPLE#REPEAT, as `failures suggest` wrote it",
        )
        for note in [*entries, *coded.unsorted]
        if note.output not in outputs
    ]
    if unknown:
        raise CodingFileError(Path(path), unknown)
    notes: dict[tuple[str, str], list[str]] = {}
    for mode in coded.modes:
        for note in mode.notes:
            texts = notes.setdefault((note.output, mode.id), [])
            if note.note and note.note.strip() and note.note.strip() not in texts:
                texts.append(note.note.strip())
    labels = [
        FailureLabel(
            run_id=run.id,
            candidate_id=outputs[ref].candidate_id,
            example_id=outputs[ref].example_id,
            repeat=outputs[ref].repeat,
            mode_id=mode_id,
            labeller=LABELLER,
            note="\n".join(texts) or None,
        )
        for (ref, mode_id), texts in notes.items()
    ]
    GradeStore(store).replace_failure_labels(run.id, LABELLER, labels)
    suite_modes = {mode.id: mode for mode in loaded.suite.failure_modes}
    return Applied(
        run_id=run.id,
        modes=len(coded.modes),
        outputs=len({ref for ref, _ in notes}),
        labels=len(labels),
        missing=tuple(mode for mode in coded.modes if mode.id not in suite_modes),
        tied=tuple(
            mode.id
            for mode in coded.modes
            if mode.id in suite_modes and not suite_modes[mode.id].assigned
        ),
    )


def _run_of(store: Store, loaded: LoadedSuite, run_id: str) -> RunInfo:
    run = store.run(run_id)
    if run.suite_name != loaded.suite.task.name:
        raise UserError(
            f"run {run.id} is a run of {run.suite_name!r}, not of {loaded.suite.task.name!r}",
            hint="pass the suite that run came from",
        )
    return run
