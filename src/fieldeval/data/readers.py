"""Data files to records: CSV/TSV, JSON Lines, JSON and chat logs, each row with its line.

Every failure is a `DataError` that names the file, the line where it can, and a fix.
"""

from __future__ import annotations

import csv
import json
import sys
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from fieldeval.data.chat import chat_fields, is_chat
from fieldeval.data.decoding import decode
from fieldeval.errors import DataError

FORMATS = ("auto", "csv", "jsonl", "json", "chat")
_EXTENSIONS = {".csv": "csv", ".tsv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "json"}


@dataclass(frozen=True)
class Record:
    """One row as read, and where it starts, e.g. `"complaints.csv:14"`."""

    fields: dict[str, Any]
    source: str


def read_records(path: Path, *, fmt: str = "auto", encoding: str | None = None) -> list[Record]:
    """Read every row of a data file.

    `fmt` is one of `FORMATS`; "auto" goes by the extension and treats JSON rows holding a
    `messages` list as chat logs. Without `encoding`, UTF-8 (BOM or not) is tried first,
    then a detected encoding if the detection is confident.
    """
    kind = _format(path, fmt)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise DataError(f"no such file: {path}", hint="check the path and its spelling") from None
    except IsADirectoryError:
        raise DataError(f"{path} is a folder", hint="name the data file itself") from None
    except OSError as error:
        raise DataError(f"cannot read {path}: {error.strerror}") from None
    text = decode(data, path, encoding=encoding)
    del data  # the text is all we need; keep memory near one copy of the file

    if kind == "csv":
        records = list(_csv_records(text, path.name, tab=path.suffix.lower() == ".tsv"))
    elif kind == "jsonl" or (kind == "chat" and path.suffix.lower() != ".json"):
        records = list(_jsonl_records(text, path.name))
    else:
        records = _json_records(text, path.name)

    if not records:
        raise DataError(f"{path} has no rows", hint="the file holds no data rows")
    if kind == "chat" or (kind != "csv" and fmt == "auto" and is_chat(records[0].fields)):
        records = [Record(chat_fields(r.fields, r.source), r.source) for r in records]
    return records


def resolve_format(path: Path, fmt: str) -> str:
    """The format `read_records` reads `path` as: `fmt`, or for "auto" the extension's."""
    return _format(path, fmt)


def _format(path: Path, fmt: str) -> str:
    if fmt not in FORMATS:
        raise DataError(f"unknown data format {fmt!r}", hint=f"use one of {', '.join(FORMATS)}")
    if fmt != "auto":
        return fmt
    try:
        return _EXTENSIONS[path.suffix.lower()]
    except KeyError:
        raise DataError(
            f"cannot tell the format of {path} from its extension {path.suffix or '(none)'!r}",
            hint="name it .csv, .tsv, .jsonl or .json, or set `dataset.format`"
            " (csv, jsonl, json or chat)",
        ) from None


@cache
def _allow_huge_cells() -> None:
    # The csv module refuses cells over 128 KiB by default; a long transcript is bigger.
    # sys.maxsize overflows the C long on some platforms (Windows), so back off until it fits.
    limit = sys.maxsize
    while True:
        try:
            csv.field_size_limit(limit)
            return
        except OverflowError:
            limit //= 2


def _csv_records(text: str, name: str, *, tab: bool) -> Iterator[Record]:
    _allow_huge_cells()
    reader = csv.reader(_lines(text), delimiter="\t" if tab else ",", strict=True)
    rows = _rows(reader, name)
    try:
        start, header = next(rows)
    except StopIteration:
        return
    _check_header(header, f"{name}:{start}")
    for start, row in rows:
        if len(row) > len(header):
            raise DataError(
                f"{name}:{start}: this row has {len(row)} cells but the header has {len(header)}",
                hint="quote cells that contain the delimiter, or add a name for the extra column",
            )
        # A short row (a trailing empty cell dropped by some exporters) reads as empty cells.
        yield Record(
            dict(zip(header, row + [""] * (len(header) - len(row)), strict=True)), f"{name}:{start}"
        )


def _lines(text: str) -> Iterator[str]:
    """The lines of `text`, ends kept, sliced lazily: io.StringIO would hold a 4-byte-per-char
    copy of the whole file. A file whose only line breaks are old-Mac "\r" splits on those."""
    end_of_line = "\r" if "\n" not in text and "\r" in text else "\n"
    start = 0
    while start < len(text):
        end = text.find(end_of_line, start)
        end = len(text) if end == -1 else end + 1
        yield text[start:end]
        start = end


def _rows(reader: Any, name: str) -> Iterator[tuple[int, list[str]]]:
    """Non-blank rows with the physical line each starts on (quoted cells span lines)."""
    end = 0
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            raise DataError(
                f"{name}:{reader.line_num}: not valid CSV: {error}",
                hint="a cell containing quotes, commas or line breaks must be wrapped in double"
                ' quotes, with its own quotes doubled ("")',
            ) from None
        start, end = end + 1, reader.line_num
        if row:
            yield start, row


def _check_header(header: list[str], where: str) -> None:
    if any(not name.strip() for name in header):
        blank = [str(i) for i, name in enumerate(header, 1) if not name.strip()]
        raise DataError(
            f"{where}: the header row has no name for column {', '.join(blank)}",
            hint="the first row must name every column (pandas: save with index=False)",
        )
    repeated = [name for name, count in Counter(header).items() if count > 1]
    if repeated:
        raise DataError(
            f"{where}: the header names {', '.join(map(repr, repeated))} more than once",
            hint="give every column a different name in the first row",
        )


def _jsonl_records(text: str, name: str) -> Iterator[Record]:
    # Split on \n only: str.splitlines() would also split on U+2028 inside JSON strings.
    for number, line in enumerate(text.split("\n"), 1):
        if not line.strip():
            continue
        value = _parse(line, name, line=number)
        if not isinstance(value, dict):
            raise DataError(
                f"{name}:{number}: this line is a JSON {_kind(value)}, not an object",
                hint='each line of a JSON Lines file is one object, e.g. {"question": "..."}',
            )
        yield Record(value, f"{name}:{number}")


def _json_records(text: str, name: str) -> list[Record]:
    value = _parse(text, name)
    key = ""
    if isinstance(value, dict):
        lists = [k for k, v in value.items() if isinstance(v, list) and _all_objects(v)]
        if len(lists) != 1:
            found = ", ".join(repr(k) for k in lists) or "none"
            raise DataError(
                f"{name}: expected a list of rows, or an object holding one list of rows"
                f" (lists of objects found: {found})",
                hint='shape it as [{...}, {...}] or {"data": [{...}, {...}]}',
            )
        key = lists[0]
        value = value[key]
    if not isinstance(value, list) or not _all_objects(value):
        raise DataError(
            f"{name}: expected a list of objects, found a JSON {_kind(value)}"
            + (" holding other values" if isinstance(value, list) else ""),
            hint='shape it as [{"question": "..."}, ...]; one object per line is a .jsonl file',
        )
    # JSON has no row lines; name the item instead, e.g. "qa.json:data[3]" (0-based).
    return [Record(row, f"{name}:{key}[{i}]") for i, row in enumerate(value)]


def _parse(text: str, name: str, *, line: int | None = None) -> Any:
    """Parse JSON; `line` is the file line `text` came from (JSON Lines), if not the top."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        hint = "check the JSON near that position"
        if error.msg == "Extra data" and line is None:
            hint = "one JSON object per line is JSON Lines: name the file .jsonl"
        where = f"{name}:{line or error.lineno}:{error.colno}"
        raise DataError(f"{where}: invalid JSON: {error.msg}", hint=hint) from None
    except (ValueError, RecursionError) as error:  # huge integers, absurd nesting
        where = name if line is None else f"{name}:{line}"
        raise DataError(f"{where}: invalid JSON: {error}") from None


def _all_objects(items: list[Any]) -> bool:
    return all(isinstance(item, dict) for item in items)


def _kind(value: Any) -> str:
    names = {dict: "object", list: "array", str: "string", bool: "boolean", type(None): "null"}
    return names.get(type(value), "number")
