"""Trace and log files read into production records: OTLP/JSON, OTLP protobuf, request logs.

A `.json` or `.jsonl` file holds OTLP/JSON exports (one per line, as the OpenTelemetry
Collector's file exporter writes them, or one per file) or OpenAI request log lines; the
first line says which. A `.pb` / `.binpb` file is one protobuf export.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

from fieldeval.errors import DataError
from fieldeval.records.production import ProductionRecord
from fieldeval.traces.conventions import model_calls
from fieldeval.traces.request_log import is_request_log, log_record
from fieldeval.traces.spans import spans_from_json, spans_from_protobuf

_PROTOBUF_SUFFIXES = {".pb", ".binpb", ".protobuf"}


def read_trace_file(path: Path) -> list[ProductionRecord]:
    """Every model call the file records; a file that is neither format fails naming its line."""
    if not path.is_file():
        raise DataError(f"{path}: no such file")
    if path.suffix in _PROTOBUF_SUFFIXES:
        return list(model_calls(spans_from_protobuf(path.read_bytes(), str(path))))
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise DataError(
            f"{path}: not UTF-8 text (byte {error.start})",
            hint="OTLP/JSON and request logs are UTF-8; a protobuf export should end in .pb",
        ) from error
    stripped = text.lstrip()
    if stripped.startswith("{") and "\n{" not in stripped.rstrip():
        return list(_records(iter([(1, stripped)]), path))  # one object, maybe pretty-printed
    numbered = ((number, line) for number, line in enumerate(text.splitlines(), 1) if line.strip())
    return list(_records(numbered, path))


def _records(lines: Iterator[tuple[int, str]], path: Path) -> Iterator[ProductionRecord]:
    for number, line in lines:
        where = f"{path}:{number}"
        try:
            parsed = json.loads(line)
        except json.JSONDecodeError as error:
            raise DataError(
                f"{path}:{number + error.lineno - 1}: not JSON"
                f" ({error.msg} at column {error.colno})",
                hint="each line must be one OTLP/JSON export or one request log object",
            ) from error
        if isinstance(parsed, dict) and is_request_log(parsed):
            yield log_record(parsed, line, where)
        else:
            yield from model_calls(spans_from_json(parsed, where))
