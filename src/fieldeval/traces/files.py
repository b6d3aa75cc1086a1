"""Trace and log files read into production records: OTLP/JSON, OTLP protobuf, request logs.

A `.json` or `.jsonl` file holds OTLP/JSON exports, trace or log (one per line, as the
OpenTelemetry Collector's file exporter writes them, or one per file), or OpenAI request
log lines; each line says which it is. A `.pb` / `.binpb` file is one protobuf trace export.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from fieldeval.errors import DataError
from fieldeval.records.production import ProductionEvent, ProductionRecord
from fieldeval.traces.conventions import model_calls
from fieldeval.traces.events import events_from_json
from fieldeval.traces.request_log import is_request_log, log_record
from fieldeval.traces.spans import spans_from_json, spans_from_protobuf

_PROTOBUF_SUFFIXES = {".pb", ".binpb", ".protobuf"}


@dataclass
class Telemetry:
    """What files held: model calls, and GenAI log events carrying their content."""

    records: list[ProductionRecord] = field(default_factory=list)
    events: list[ProductionEvent] = field(default_factory=list)


def read_trace_file(path: Path) -> list[ProductionRecord]:
    """Every model call the file records (its log events left out)."""
    return read_telemetry(path).records


def read_telemetry(path: Path) -> Telemetry:
    """Every model call and GenAI log event the file holds; a line that is none of the
    formats fails naming it."""
    if not path.is_file():
        raise DataError(f"{path}: no such file")
    found = Telemetry()
    if path.suffix in _PROTOBUF_SUFFIXES:
        found.records = list(model_calls(spans_from_protobuf(path.read_bytes(), str(path))))
        return found
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise DataError(
            f"{path}: not UTF-8 text (byte {error.start})",
            hint="OTLP/JSON and request logs are UTF-8; a protobuf export should end in .pb",
        ) from error
    stripped = text.lstrip()
    if stripped.startswith("{") and "\n{" not in stripped.rstrip():
        lines: Iterator[tuple[int, str]] = iter([(1, stripped)])  # one object, maybe indented
    else:
        lines = ((number, line) for number, line in enumerate(text.splitlines(), 1) if line.strip())
    for number, line in lines:
        _read_line(number, line, path, found)
    return found


def _read_line(number: int, line: str, path: Path, found: Telemetry) -> None:
    """Add one line's export or log line to `found`."""
    where = f"{path}:{number}"
    try:
        parsed = json.loads(line)
    except json.JSONDecodeError as error:
        raise DataError(
            f"{path}:{number + error.lineno - 1}: not JSON ({error.msg} at column {error.colno})",
            hint="each line must be one OTLP/JSON export or one request log object",
        ) from error
    if isinstance(parsed, dict) and is_request_log(parsed):
        found.records.append(log_record(parsed, line, where))
    elif isinstance(parsed, dict) and "resourceLogs" in parsed:
        found.events += events_from_json(parsed, where)
    else:
        found.records += model_calls(spans_from_json(parsed, where))
