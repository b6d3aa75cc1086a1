"""A suite's `dataset:` section to a `Dataset`: fields checked, ids made, sample drawn.

Without an id field, an example's id is a hash of its fields, so it survives reordering
rows and columns. Rows identical in every field would share that id; the first is kept and
the rest are dropped (`source_rows` still counts them), since a repeated row would only
count twice in every score.
"""

from __future__ import annotations

import difflib
import hashlib
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from fieldeval.canonical import canonical_json, content_hash
from fieldeval.data.readers import Record, read_records
from fieldeval.data.sampling import sample
from fieldeval.errors import DataError
from fieldeval.records.example import Dataset, Example
from fieldeval.suite.schema import DatasetSpec, Suite


def load_dataset(spec: DatasetSpec, *, base_dir: Path) -> Dataset:
    """Read the data a suite names; `spec.path` is relative to `base_dir` (the suite's folder)."""
    path = base_dir / spec.path
    if not path.exists():
        raise DataError(
            f"dataset file not found: {path}",
            hint=f"`dataset.path` is relative to the suite file's folder ({base_dir})",
        )
    records = read_records(path, fmt=spec.format, encoding=spec.encoding)
    _check_fields(spec, records, path)
    examples, identical = _examples(spec, records)
    if spec.where:
        examples = _where(spec, examples, path)
    if spec.sample is not None:
        examples = sample(
            examples, spec.sample.n, stratify=spec.sample.stratify, seed=spec.sample.seed
        )
    return Dataset(
        path=path,
        examples=examples,
        content_hash=examples_hash(examples),
        source_rows=len(records),
        identical_rows=identical,
    )


def examples_hash(examples: Sequence[Example]) -> str:
    """The content hash naming a dataset version: ids, fields and prefix messages, in order.

    Prefix messages enter only when an example has some, so the hash of plain data stays
    what it always was.
    """
    items: list[dict[str, Any]] = []
    for example in examples:
        item: dict[str, Any] = {"id": example.id, "fields": example.fields}
        if example.prefix_messages:
            item["prefix_messages"] = [dict(m) for m in example.prefix_messages]
        items.append(item)
    return content_hash(items)


def as_text(value: Any) -> str:
    """A field's value as text: strings as they are, other JSON values as canonical JSON."""
    if isinstance(value, str):
        return value
    return "" if value is None else canonical_json(value)


def _check_fields(spec: DatasetSpec, records: Sequence[Record], path: Path) -> None:
    columns = list(dict.fromkeys(key for record in records for key in record.fields))
    named = [
        ("id", spec.id),
        ("input", spec.input),
        ("reference", spec.reference),
        *(("slices", name) for name in spec.slices),
        ("sample.stratify", spec.sample.stratify if spec.sample else None),
        *(("where", name) for name in spec.where),
    ]
    if spec.production is not None:
        weights = spec.production
        named += [
            ("production.weight", weights.weight),
            ("production.stratum", weights.stratum),
            ("production.fraction", weights.fraction),
            ("production.stratum_size", weights.stratum_size),
        ]
    _require([(f"dataset.{setting}", field) for setting, field in named], columns, path)
    if spec.production is not None:
        weights = spec.production
        positive = (weights.weight, weights.stratum_size)
        _check_weights(positive, weights.fraction, records)


def _check_weights(
    positive: Sequence[str | None], fraction: str | None, records: Sequence[Record]
) -> None:
    """Every weight a positive number and every fraction in (0, 1], or the row that is not."""
    bounds = [(field, 0.0, math.inf) for field in positive] + [(fraction, 0.0, 1.0)]
    for record in records:
        for field, low, high in bounds:
            if field is None:
                continue
            value = record.fields.get(field)
            number = _number(value)
            if number is None or not low < number <= high:
                bound = "in (0, 1]" if high == 1.0 else "a positive number"
                raise DataError(
                    f"{record.source}: `{field}` is {value!r}; it must be {bound}",
                    hint="draw the eval set with `fieldeval sample`, which writes these fields",
                )


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def check_suite_fields(suite: Suite, dataset: Dataset) -> None:
    """The fields sections other than `dataset:` name are in the data, or a clear error."""
    named = [("abstention.answerable", suite.abstention.answerable if suite.abstention else None)]
    columns = list(dict.fromkeys(key for example in dataset.examples for key in example.fields))
    _require(named, columns, dataset.path)


def _require(named: Sequence[tuple[str, str | None]], columns: list[str], path: Path) -> None:
    """Each (setting, field) names one of `columns`, or a DataError with the closest one."""
    for setting, field in named:
        if field is None or field in columns:
            continue
        guesses = difflib.get_close_matches(field, columns, n=1, cutoff=0.6)
        guess = f"did you mean {guesses[0]!r}? " if guesses else ""
        raise DataError(
            f"`{setting}` names field {field!r}, which {path.name} does not have",
            hint=f"{guess}the fields are: {', '.join(columns)}",
        )


def _where(spec: DatasetSpec, examples: tuple[Example, ...], path: Path) -> tuple[Example, ...]:
    """The examples whose every `where` field holds one of its values, compared as text."""
    wanted = {name: {str(v) for v in values} for name, values in spec.where.items()}
    kept = tuple(
        e
        for e in examples
        if all(as_text(e.fields.get(name)).strip() in values for name, values in wanted.items())
    )
    if kept:
        return kept
    seen = {
        name: sorted({as_text(e.fields.get(name)).strip() for e in examples})[:10]
        for name in wanted
    }
    raise DataError(
        f"`dataset.where` keeps none of the {len(examples)} rows of {path.name}",
        hint="; ".join(
            f"{name} holds e.g. {', '.join(map(repr, values))}" for name, values in seen.items()
        ),
    )


# Repeated ids named in the error, the first ones met; the rest are counted.
_REPEATS_SHOWN = 5


def _examples(
    spec: DatasetSpec, records: Sequence[Record]
) -> tuple[tuple[Example, ...], tuple[str, ...]]:
    """The examples, and the sources of the rows dropped as identical to an earlier one."""
    seen: dict[str, str] = {}  # id -> source of the row that has it
    repeated: dict[str, list[str]] = {}  # id -> the sources of every row that has it
    identical: list[str] = []
    examples: list[Example] = []
    for record in records:
        fields = record.fields
        if spec.id is None:
            example_id = "h" + hashlib.sha256(canonical_json(fields).encode()).hexdigest()[:12]
            if example_id in seen:
                identical.append(record.source)  # see the module docstring
                continue
        else:
            example_id = as_text(fields.get(spec.id)).strip()
            if not example_id:
                raise DataError(
                    f"{record.source}: the id field {spec.id!r} is empty",
                    hint="give every row an id, or remove `dataset.id` to use content-hash ids",
                )
            if example_id in seen:
                repeated.setdefault(example_id, [seen[example_id]]).append(record.source)
                continue
        seen[example_id] = record.source
        examples.append(
            Example(
                id=example_id,
                fields=fields,
                input=_input(spec, fields),
                reference=_reference(spec, fields),
                slices={name: as_text(fields.get(name)) for name in spec.slices} or None,
                source=record.source,
            )
        )
    if repeated:
        raise _repeated_ids(repeated)
    return tuple(examples), tuple(identical)


def _repeated_ids(repeated: dict[str, list[str]]) -> DataError:
    """Every repeated id at once, so that fixing the data takes one pass, not one per id."""
    shown = [
        f"{example_id!r} ({', '.join(sources)})"
        for example_id, sources in list(repeated.items())[:_REPEATS_SHOWN]
    ]
    rows = sum(len(sources) for sources in repeated.values())
    more = len(repeated) - len(shown)
    count = "an id is" if len(repeated) == 1 else f"{len(repeated)} ids are"
    return DataError(
        f"{count} used more than once ({rows} rows in all): {'; '.join(shown)}"
        + (f"; and {more} more" if more else ""),
        hint="fix the repeated ids, or remove `dataset.id` from the suite to use content-hash ids",
    )


def _input(spec: DatasetSpec, fields: dict[str, Any]) -> str:
    if spec.input is not None:
        return as_text(fields.get(spec.input))
    if isinstance(fields.get("input"), str):  # chat logs and most eval files have one
        return str(fields["input"])
    first = next((v for k, v in fields.items() if k != spec.id and isinstance(v, str)), "")
    return first


def _reference(spec: DatasetSpec, fields: dict[str, Any]) -> str | None:
    # An empty cell means "no reference for this row", not "the answer is empty".
    name = spec.reference
    if name is None and "messages" in fields and "reference" in fields:
        name = "reference"  # the chat log's final assistant turn
    value = None if name is None else fields.get(name)
    return None if value is None or value == "" else as_text(value)
