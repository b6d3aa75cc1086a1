"""The failure-mode file a person edits: written from the judge's proposal, read back strictly.

    run: 7c1e0b2a94d3
    failure_modes:
      - id: invents-facts
        definition: States something the complaint does not say.
        severity: critical
        notes:
          - {output: alpha/e12#0, note: made up an order number}
          - beta/e3#1                  # an output with no note: labelled all the same
    unsorted:                          # notes the judge put nowhere: they label nothing
      - {output: beta/e7#0, note: odd}

Every problem in a read file is reported with its file:line:column.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from io import StringIO
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.scalarstring import LiteralScalarString

from fieldeval.errors import UserError
from fieldeval.failures.coding_prompt import SEVERITIES
from fieldeval.failures.notes import Note, Suggestion
from fieldeval.files import write_atomically
from fieldeval.suite.loader import Problem, complex_key_mark
from fieldeval.yaml_limits import load_bounded

MODE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")  # as the suite's failure mode ids
_TOP = ("run", "failure_modes", "unsorted")
_MODE = ("id", "definition", "severity", "notes")
_NOTE = ("output", "note")

HEADER = """\
Failure modes proposed by the judge from people's notes on run {run} ({count} notes).
Edit this file, then label the outputs with:  fieldeval failures apply SUITE {name}
  accept:  leave a mode as it is
  rename:  change its id (letters, digits, - _ .; lowercase-with-hyphens reads best)
  merge:   move one mode's notes under the other, then delete the emptied mode
  split:   add a mode (id, definition, severity, notes) and move notes into it
  drop:    delete a mode, or a note, and it labels nothing
  add:     list an output without a note as `- CANDIDATE/EXAMPLE#REPEAT`
Severity is cosmetic, minor, major or critical. Each note labels its output with the mode
it is under; `unsorted` notes, which the judge put nowhere, label nothing until moved.
Applying again replaces the labels the last apply gave."""


class CodingFileError(UserError):
    """A failure-mode file with one or more problems, each located."""

    def __init__(self, path: Path, problems: Sequence[Problem]) -> None:
        self.problems = list(problems)
        noun = "problem" if len(problems) == 1 else "problems"
        lines = "\n".join(f"  {problem}" for problem in problems)
        super().__init__(f"{path}: {len(problems)} {noun}\n{lines}")


@dataclass(frozen=True)
class CodedNote:
    """One output listed under a mode (or unsorted), with where the file lists it."""

    output: str
    note: str | None
    where: str  # file:line:column of the entry
    field: str  # e.g. failure_modes[0].notes[2]


@dataclass(frozen=True)
class CodedMode:
    id: str
    definition: str
    severity: str
    notes: tuple[CodedNote, ...]


@dataclass(frozen=True)
class CodedFile:
    path: Path
    run: str | None
    modes: tuple[CodedMode, ...]
    unsorted: tuple[CodedNote, ...]


def _yaml() -> YAML:
    yaml = YAML(typ="rt")
    yaml.allow_duplicate_keys = False
    yaml.width = 4096  # long notes stay on one line rather than folding mid-sentence
    yaml.indent(mapping=2, sequence=4, offset=2)
    return yaml


def _note_map(note: Note) -> CommentedMap:
    text = note.text
    entry = CommentedMap()
    entry["output"] = note.ref
    entry["note"] = LiteralScalarString(text) if "\n" in text else text
    return entry


def suggestion_yaml(suggestion: Suggestion, name: str) -> str:
    """The file's text: the header, the proposed modes with their notes, the unsorted notes."""
    modes = CommentedSeq()
    for mode in suggestion.modes:
        entry = CommentedMap()
        entry["id"] = mode.id
        entry["definition"] = mode.definition
        entry["severity"] = mode.severity
        entry["notes"] = CommentedSeq(_note_map(note) for note in mode.notes)
        modes.append(entry)
    document = CommentedMap()
    document["run"] = suggestion.run_id
    document["failure_modes"] = modes
    document["unsorted"] = CommentedSeq(_note_map(note) for note in suggestion.unsorted)
    count = sum(len(mode.notes) for mode in suggestion.modes) + len(suggestion.unsorted)
    document.yaml_set_start_comment(HEADER.format(run=suggestion.run_id, count=count, name=name))
    buffer = StringIO()
    _yaml().dump(document, buffer)
    return buffer.getvalue()


def write_suggestion(suggestion: Suggestion, path: Path) -> None:
    """Write the file for a person to edit, whole or not at all (temp file, then rename)."""
    path = Path(path)
    text = suggestion_yaml(suggestion, path.name)
    write_atomically(path, text)


def modes_yaml(modes: Sequence[CodedMode]) -> str:
    """The `failure_modes:` entries to paste into the suite for these modes."""
    entries = CommentedSeq()
    for mode in modes:
        entry = CommentedMap()
        entry["id"] = mode.id
        entry["definition"] = mode.definition
        entry["severity"] = mode.severity
        entries.append(entry)
    document = CommentedMap()
    document["failure_modes"] = entries
    buffer = StringIO()
    _yaml().dump(document, buffer)
    return buffer.getvalue()


def read_coding(path: Path) -> CodedFile:
    """The edited file, its structure checked; output refs are checked against a run later."""
    path = Path(path)
    tree = _load(path)
    reader = _Reader(path)
    if not isinstance(tree, CommentedMap):
        reader.problem((0, 0), "(top level)", "expected a mapping with `failure_modes:`")
        raise CodingFileError(path, reader.sorted())
    reader.unknown_keys(tree, _TOP, "")
    run = tree.get("run")
    if run is not None and not isinstance(run, str):
        reader.problem(tree.lc.value("run"), "run", "expected a run id")
        run = None
    modes: list[CodedMode] = []
    seen: dict[str, str] = {}
    for index, item in reader.items(tree, "failure_modes", "failure_modes"):
        field = f"failure_modes[{index}]"
        mode = reader.mode(item, field, tree["failure_modes"].lc.item(index))
        if mode is None:
            continue
        if mode.id in seen:
            reader.problem(
                item.lc.value("id"),
                f"{field}.id",
                f"{mode.id!r} is also the id of the mode at line {seen[mode.id]}",
                hint="merge them: move the notes under one mode and delete the other",
            )
        else:
            seen[mode.id] = str(item.lc.value("id")[0] + 1)
            modes.append(mode)
    unsorted = [
        note
        for index, item in reader.items(tree, "unsorted", "unsorted")
        if (note := reader.note(item, f"unsorted[{index}]", tree["unsorted"].lc.item(index)))
    ]
    if reader.problems:
        raise CodingFileError(path, reader.sorted())
    return CodedFile(path, run, tuple(modes), tuple(unsorted))


def _load(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise UserError(
            f"{path}: no such file",
            hint="write one with `fieldeval failures suggest SUITE --out FILE`",
        ) from None
    except UnicodeDecodeError:
        raise UserError(f"{path}: not valid UTF-8", hint="save the file as UTF-8") from None
    except OSError as error:
        raise UserError(f"{path}: cannot read: {error.strerror}") from None
    try:
        # Measured before the reader walks (and so expands) its aliases.
        return load_bounded(path, lambda: _yaml().load(text), UserError)
    except MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
        problem = error.problem or error.context or "invalid YAML"
        raise UserError(
            f"{where}: YAML syntax error: {problem}",
            hint="check the indentation, and quote a note that contains ': ' or starts with"
            " { [ * & or #",
        ) from None
    except YAMLError as error:
        raise UserError(f"{path}: YAML error: {error}") from None
    except TypeError:
        mark = complex_key_mark(_yaml().compose(text))
        where = f"{path}:{mark[0]}:{mark[1]}" if mark else str(path)
        raise UserError(
            f"{where}: a mapping or list is used as a key",
            hint="a key must be a plain name: `name: value`",
        ) from None


class _Reader:
    """Walks the tree, collecting every problem with its place in the file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.problems: list[tuple[int, int, Problem]] = []

    def where(self, mark: Sequence[int]) -> str:
        return f"{self.path}:{mark[0] + 1}:{mark[1] + 1}"

    def problem(
        self, mark: Sequence[int], field: str, message: str, hint: str | None = None
    ) -> None:
        self.problems.append((mark[0], mark[1], Problem(self.where(mark), field, message, hint)))

    def sorted(self) -> list[Problem]:
        """The problems in the order they appear in the file."""
        return [problem for _, _, problem in sorted(self.problems, key=lambda p: p[:2])]

    def unknown_keys(self, node: CommentedMap, known: Sequence[str], field: str) -> None:
        for key in node:
            if key not in known:
                name = f"{field}.{key}" if field else str(key)
                self.problem(
                    node.lc.key(key), name, "unknown key", hint=f"the keys are {', '.join(known)}"
                )

    def items(self, node: CommentedMap, key: str, field: str) -> list[tuple[int, Any]]:
        value = node.get(key)
        if value is None:
            return []  # absent or empty: no modes, or nothing unsorted
        if not isinstance(value, CommentedSeq):
            self.problem(node.lc.value(key), field, "expected a list")
            return []
        return list(enumerate(value))

    def mode(self, item: Any, field: str, mark: Sequence[int]) -> CodedMode | None:
        if not isinstance(item, CommentedMap):
            self.problem(mark, field, "expected a mode: a mapping with id, definition, severity")
            return None
        self.unknown_keys(item, _MODE, field)
        ok = True
        for key in ("id", "definition", "severity"):
            if not isinstance(item.get(key), str) or not item[key].strip():
                self.problem(
                    item.lc.key(key) if key in item else mark,
                    f"{field}.{key}",
                    "required, as a non-empty string" if key in item else "required key missing",
                )
                ok = False
        if ok and not MODE_ID.match(item["id"]):
            self.problem(
                item.lc.value("id"),
                f"{field}.id",
                f"{item['id']!r} is not a usable id",
                hint="use letters, digits, - _ and ., e.g. invents-facts",
            )
            ok = False
        if ok and item["severity"] not in SEVERITIES:
            self.problem(
                item.lc.value("severity"),
                f"{field}.severity",
                f"unknown severity {item['severity']!r}",
                hint=f"one of {', '.join(SEVERITIES)}",
            )
            ok = False
        notes = [
            note
            for index, entry in self.items(item, "notes", f"{field}.notes")
            if (note := self.note(entry, f"{field}.notes[{index}]", item["notes"].lc.item(index)))
        ]
        if not ok:
            return None
        definition = " ".join(str(item["definition"]).split())
        return CodedMode(item["id"], definition, item["severity"], tuple(notes))

    def note(self, entry: Any, field: str, mark: Sequence[int]) -> CodedNote | None:
        if isinstance(entry, str):
            return CodedNote(entry.strip(), None, self.where(mark), field)
        if not isinstance(entry, CommentedMap):
            self.problem(mark, field, "expected `{output: REF, note: TEXT}` or a bare REF")
            return None
        self.unknown_keys(entry, _NOTE, field)
        output = entry.get("output")
        if not isinstance(output, str) or not output.strip():
            self.problem(
                entry.lc.value("output") if "output" in entry else mark,
                f"{field}.output",
                "required: the output's CANDIDATE/EXAMPLE#REPEAT",
            )
            return None
        note = entry.get("note")
        if note is not None and not isinstance(note, str):
            note = str(note)  # a note that YAML read as a number or a date is still its text
        return CodedNote(output.strip(), note, self.where(entry.lc.value("output")), field)
