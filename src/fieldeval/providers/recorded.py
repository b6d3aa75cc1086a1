"""Outputs the app already gave, read from a file and matched by example id: no model is called.

The file is a CSV, JSON Lines, JSON or chat-log file read by the dataset readers. Each row
holds an example id and the output; for chat logs the output is the final assistant message.
Bad files (a missing column, a repeated id) fail when the provider is made, at run start; an
example the file lacks is stored as a `not_recorded` error, never as a pass.
"""

from __future__ import annotations

import difflib
import hashlib
import math
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fieldeval.data.chat import chat_fields, is_chat
from fieldeval.data.dataset import as_text
from fieldeval.data.readers import Record, read_records, resolve_format
from fieldeval.errors import DataError, ErrorKind, ProviderError
from fieldeval.records.completion import Completion, Usage
from fieldeval.records.request import ModelRequest
from fieldeval.suite.candidates import RecordedCandidate


@dataclass(frozen=True)
class RecordedOutput:
    """One recorded answer and what the file says about it."""

    text: str | None  # None: the row holds no output (a null), stored as an error
    source: str  # file:line, for messages
    latency_ms: float | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None


@dataclass(frozen=True)
class RecordedFile:
    path: Path
    content_hash: str
    outputs: Mapping[str, RecordedOutput]


def read_recorded(candidate: RecordedCandidate, *, base_dir: Path) -> RecordedFile:
    """Every row of the candidate's file by example id; a bad file is a `DataError`."""
    path = base_dir / candidate.path
    where = f"candidates[{candidate.id}].path"
    if not path.is_file():
        raise DataError(
            f"recorded outputs file not found: {path} ({where})",
            hint=f"the path is relative to the suite file's folder ({base_dir})",
        )
    digest = "s256:" + hashlib.sha256(path.read_bytes()).hexdigest()
    kind = resolve_format(path, candidate.format)
    records = read_records(path, fmt=kind, encoding=candidate.encoding)
    chat = kind == "chat" or (
        kind != "csv" and candidate.format == "auto" and is_chat(records[0].fields)
    )
    if chat and kind != "chat":
        records = [Record(chat_fields(r.fields, r.source), r.source) for r in records]
    _check_fields(candidate, records, path, chat=chat)
    outputs: dict[str, RecordedOutput] = {}
    for record in records:
        example_id = as_text(record.fields.get(candidate.id_field)).strip()
        if not example_id:
            raise DataError(
                f"{record.source}: the id field {candidate.id_field!r} is empty",
                hint="every recorded output needs the id of the example it answers",
            )
        if example_id in outputs:
            raise DataError(
                f"{path}: example id {example_id!r} (field {candidate.id_field!r}) is recorded"
                f" twice: {outputs[example_id].source} and {record.source}",
                hint="keep one output per example (the one to grade), or set `id_field`",
            )
        outputs[example_id] = _output(candidate, record, chat=chat)
    return RecordedFile(path=path, content_hash=digest, outputs=outputs)


def _check_fields(
    candidate: RecordedCandidate, records: Sequence[Record], path: Path, *, chat: bool
) -> None:
    columns = list(dict.fromkeys(key for record in records for key in record.fields))
    named = [
        ("id_field", candidate.id_field),
        ("output_field", None if chat else candidate.output_field),
        ("latency_field", candidate.latency_field),
        ("input_tokens_field", candidate.input_tokens_field),
        ("output_tokens_field", candidate.output_tokens_field),
    ]
    for setting, field in named:
        if field is None or field in columns:
            continue
        guesses = difflib.get_close_matches(field, columns, n=1, cutoff=0.6)
        guess = f"did you mean {guesses[0]!r}? " if guesses else ""
        raise DataError(
            f"{path}: candidate {candidate.id!r} has `{setting}: {field}`, but the file has"
            f" no field {field!r}",
            hint=f"{guess}set `{setting}` to one of: {', '.join(columns)}",
        )


def _output(candidate: RecordedCandidate, record: Record, *, chat: bool) -> RecordedOutput:
    fields = record.fields
    # A chat log's final assistant turn is the output; chat_fields calls it `reference`.
    value = fields.get("reference" if chat else candidate.output_field)
    return RecordedOutput(
        text=None if value is None else as_text(value),
        source=record.source,
        latency_ms=_number(fields, candidate.latency_field, record.source),
        input_tokens=_count(fields, candidate.input_tokens_field, record.source),
        output_tokens=_count(fields, candidate.output_tokens_field, record.source),
    )


def _number(fields: Mapping[str, Any], name: str | None, source: str) -> float | None:
    value = None if name is None else fields.get(name)
    if value is None or value == "":
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = math.nan
    if not math.isfinite(number) or number < 0:
        raise DataError(
            f"{source}: field {name!r} holds {value!r}, not a count or duration",
            hint="give a non-negative number, or leave the cell empty",
        )
    return number


def _count(fields: Mapping[str, Any], name: str | None, source: str) -> int | None:
    number = _number(fields, name, source)
    if number is None:
        return None
    if not number.is_integer():
        raise DataError(f"{source}: field {name!r} holds {number:g}, not a whole token count")
    return int(number)


class RecordedProvider:
    """Answers each request with the output recorded for its example."""

    def __init__(self, recorded: RecordedFile, *, candidate_id: str) -> None:
        self.recorded = recorded
        self.candidate_id = candidate_id

    async def complete(self, request: ModelRequest) -> Completion:
        example_id = str(request.variables.get("id", ""))
        found = self.recorded.outputs.get(example_id)
        name = self.recorded.path.name
        if found is None:
            raise ProviderError(
                f"no recorded output for example {example_id!r} in {name}",
                ErrorKind.NOT_RECORDED,
            )
        if found.text is None:
            raise ProviderError(
                f"the recorded output for example {example_id!r} is null ({found.source})",
                ErrorKind.NOT_RECORDED,
            )
        return Completion(
            text=found.text,
            usage=_usage(found, request),
            latency_s=None if found.latency_ms is None else found.latency_ms / 1000,
        )

    async def aclose(self) -> None:
        """Nothing to release: the file was read whole when the provider was made."""

    def cache_identity(self) -> Mapping[str, Any]:
        # The content hash makes an edited file re-read rather than served from the cache.
        return {
            "provider": "recorded",
            "file": self.recorded.path.name,
            "content": self.recorded.content_hash,
            "per_example": True,
        }


def _usage(found: RecordedOutput, request: ModelRequest) -> Usage:
    """The file's token counts; any it lacks is estimated, and the usage marked so."""
    if found.input_tokens is not None and found.output_tokens is not None:
        return Usage(input_tokens=found.input_tokens, output_tokens=found.output_tokens)
    estimate = Usage.estimate(request.messages, found.text or "")
    return Usage(
        input_tokens=found.input_tokens
        if found.input_tokens is not None
        else estimate.input_tokens,
        output_tokens=(
            found.output_tokens if found.output_tokens is not None else estimate.output_tokens
        ),
        estimated=True,
    )


def from_candidate(candidate: RecordedCandidate, *, base_dir: Path) -> RecordedProvider:
    return RecordedProvider(read_recorded(candidate, base_dir=base_dir), candidate_id=candidate.id)


# Unmatched ids named in a warning; the rest are counted.
_NAMED = 5


def check(
    candidate: RecordedCandidate,
    *,
    base_dir: Path,
    example_ids: Collection[str] | None = None,
) -> tuple[str, ...]:
    """`validate`'s look at a recorded candidate: its file is read whole, a bad one fails;
    given the dataset's `example_ids`, recorded outputs that answer none of them are named."""
    recorded = read_recorded(candidate, base_dir=base_dir)
    if example_ids is None:
        return ()
    known = set(example_ids)
    unmatched = [example_id for example_id in recorded.outputs if example_id not in known]
    if not unmatched:
        return ()
    shown = ", ".join(repr(example_id) for example_id in unmatched[:_NAMED])
    more = f" and {len(unmatched) - _NAMED} more" if len(unmatched) > _NAMED else ""
    first = recorded.outputs[unmatched[0]].source
    return (
        f"candidate {candidate.id!r}: {len(unmatched)} of {len(recorded.outputs)} recorded"
        f" outputs in {recorded.path.name} answer no example of the dataset ({shown}{more};"
        f" the first at {first}): they are never graded. Check that `id_field`"
        f" ({candidate.id_field!r}) holds the dataset's ids",
    )
