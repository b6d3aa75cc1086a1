"""`fieldeval init --from FILE`: a commented starting suite, guessed from the data itself."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from fieldeval.data.dataset import as_text
from fieldeval.data.readers import Record, read_records

_REFERENCE_WORDS = frozenset(
    {"answer", "expected", "reference", "label", "ideal", "target", "gold", "reply", "response"}
)
# Names an input column has: what the user sent. Without one, the longest text is taken,
# which is often the reply (an agent's reply is longer than the tweet it answers).
_INPUT_WORDS = frozenset(
    {"input", "question", "query", "prompt", "text", "message", "tweet", "request",
     "complaint", "narrative", "customer", "user", "utterance", "ticket", "body"}
)  # fmt: skip
_SLICE_VALUES = range(2, 21)


@dataclass(frozen=True)
class Column:
    """One field of the data and what scaffolding needs to know about it."""

    name: str
    values: tuple[Any, ...]

    @property
    def is_text(self) -> bool:
        present = [value for value in self.values if value is not None]
        return bool(present) and all(isinstance(value, str) for value in present)

    @property
    def distinct(self) -> int:
        return len({as_text(value) for value in self.values})

    @property
    def mean_length(self) -> float:
        return sum(len(as_text(value)) for value in self.values) / len(self.values)

    def example(self, width: int = 60) -> str:
        value = next((as_text(v) for v in self.values if as_text(v).strip()), "")
        flat = " ".join(value.split())
        return json.dumps(
            flat if len(flat) <= width else flat[: width - 1] + "…", ensure_ascii=False
        )


def scaffold_suite(data_path: Path, *, suite_dir: Path) -> str:
    """The text of a commented suite file for the data at `data_path`, to live in `suite_dir`."""
    records = read_records(data_path)
    columns = _columns(records)
    chat = all(name in columns for name in ("messages", "input", "reference"))
    id_field = _id_field(columns.values())
    reference = "reference" if chat else _reference_field(columns.values(), id_field)
    input_field = "input" if chat else _input_field(columns.values(), {id_field, reference})
    slices = _slice_fields(columns.values(), {id_field, input_field, reference}, len(records))

    width = max(len(name) for name in columns)
    lines = [
        f"# A fieldeval suite for {data_path.name}, written by `fieldeval init`.",
        "# Fill in the TODOs, check the guesses below, then run: fieldeval run <this file>",
        "#",
        f"# {data_path.name}: {len(records)} rows. Its fields, with a value from the data:",
        *(f"#   {name.ljust(width)}  {column.example()}" for name, column in columns.items()),
        "",
        "version: 1",
        "",
        "task:",
        f"  name: {_scalar(_task_name(data_path))}",
        "  description: >-",
        '    TODO: say what the model must do for your users, e.g. "Summarise each complaint',
        "    in under 100 words, keeping the customer's main issue and tone.\"",
        *_prompt(chat, input_field),
        "",
        "dataset:",
        f"  path: {_scalar(_relative(data_path, suite_dir))}  # relative to this file",
        f"  id: {_scalar(id_field)}"
        if id_field
        else f"  # id: {_no_id_reason(columns.values())}, so each row's id hashes its content",
        f"  input: {_scalar(input_field)}" if input_field else "  # input: the field to show",
        f"  reference: {_scalar(reference)}"
        if reference
        else "  # reference: a field holding the expected answer, if the data has one",
        f"  slices: [{', '.join(_scalar(s) for s in slices)}]  # scores are broken down by these"
        if slices
        else "  # slices: [a field with a few repeated values, to break scores down by]",
        f"  # sample: {{n: 50, stratify: {_scalar(slices[0])}, seed: 0}}"
        if slices
        else "  # sample: {n: 50, seed: 0}",
        "",
        "candidates:",
        "  - {id: local-gemma, provider: local, params: {max_tokens: 200, temperature: 0}}",
        "  # - id: gpt-4o-mini",
        "  #   provider: openai",
        "  #   model: gpt-4o-mini",
        "  #   api_key_env: OPENAI_API_KEY",
        "  #   params: {max_tokens: 200, temperature: 0}",
        "",
        "checks:",
        "  - max_words: 100",
        "  # - {contains_any: [refund, charge], ignore_case: true}",
        "  # - {not_contains: 'As an AI'}",
        "  # - {language: en}",
        "  # - {json_schema: schema.json}",
    ]
    if reference:
        lines.append(f'  # - {{equals: "{{{{ {reference} }}}}"}}  # exact match with the reference')
    return "\n".join(lines) + "\n"


def _columns(records: Sequence[Record]) -> dict[str, Column]:
    names = dict.fromkeys(key for record in records for key in record.fields)
    return {
        name: Column(name, tuple(record.fields.get(name) for record in records)) for name in names
    }


def _id_field(columns: Any) -> str | None:
    def looks_like_id(name: str) -> bool:
        lowered = name.lower()
        return lowered in ("id", "uuid") or lowered.endswith(("_id", "-id"))

    candidates = [
        c.name
        for c in columns
        if looks_like_id(c.name)
        and c.distinct == len(c.values)
        and all(as_text(value).strip() for value in c.values)
    ]
    # A plain "id" wins over "customer_id": the latter may be unique only by accident.
    return min(candidates, key=lambda name: name.lower() != "id", default=None)


def _no_id_reason(columns: Any) -> str:
    """Why no field was taken as the id, naming the one that came closest."""
    for column in columns:
        lowered = column.name.lower()
        if lowered in ("id", "uuid") or lowered.endswith(("_id", "-id")):
            repeats = len(column.values) - column.distinct
            empty = sum(1 for value in column.values if not as_text(value).strip())
            problems = [
                *([f"{repeats} of its {len(column.values)} values repeat"] if repeats else []),
                *([f"{empty} are empty"] if empty else []),
            ]
            if problems:
                return f"{column.name} looks like an id but {' and '.join(problems)}"
    return "no field is named like an id (id, uuid, *_id)"


def _reference_field(columns: Any, id_field: str | None) -> str | None:
    for column in columns:
        words = set(re.split(r"[^a-z]+", column.name.lower()))
        if column.name != id_field and words & _REFERENCE_WORDS:
            return str(column.name)
    return None


def _input_field(columns: Any, taken: set[str | None]) -> str | None:
    """The text column named like an input, else the longest text column left."""
    texts = [c for c in columns if c.is_text and c.name not in taken]
    named = [c for c in texts if set(re.split(r"[^a-z]+", c.name.lower())) & _INPUT_WORDS]
    pool = named or texts
    return max(pool, key=lambda c: c.mean_length).name if pool else None


def _slice_fields(columns: Any, taken: set[str | None], rows: int) -> list[str]:
    # Few values, each repeated: a column with a value per row is no slice.
    return [
        c.name
        for c in columns
        if c.is_text
        and c.name not in taken
        and c.distinct in _SLICE_VALUES
        and c.distinct <= rows / 2
    ]


def _prompt(chat: bool, input_field: str | None) -> list[str]:
    if chat:
        return [
            "  # Each row's chat log is sent as it is, up to the turn to be answered.",
            "  prompt: {conversation: messages}",
        ]
    if input_field is None or not input_field.isidentifier():
        return [
            "  # TODO: a Jinja2 template over the row's fields, e.g. 'Summarise: {{ text }}'.",
            "  # A field name with spaces or dashes cannot appear in a template: rename it.",
            "  prompt: " + _scalar("TODO: write the prompt"),
        ]
    return [
        "  # A Jinja2 template over the row's fields: add your instruction above the field.",
        "  prompt: |-",
        f"    {{{{ {input_field} }}}}",
    ]


def _task_name(path: Path) -> str:
    name = re.sub(r"[^A-Za-z0-9_.\-]+", "-", path.stem).strip("-._")
    return name or "task"


def _relative(path: Path, suite_dir: Path) -> str:
    try:
        return Path(os.path.relpath(path.resolve(), suite_dir.resolve())).as_posix()
    except ValueError:  # another drive on Windows: no relative path exists
        return path.resolve().as_posix()


def _scalar(value: str) -> str:
    """`value` as a YAML scalar: bare when YAML reads it back unchanged, else quoted."""
    if re.fullmatch(r"[A-Za-z0-9_./][A-Za-z0-9_./ \-]*", value) and value == value.strip():
        try:
            if YAML(typ="safe").load(value) == value:
                return value
        except YAMLError:
            pass
    return json.dumps(value, ensure_ascii=False)
