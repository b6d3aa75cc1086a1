"""An OTLP trace export (`ExportTraceServiceRequest`), as JSON or protobuf, read into plain spans.

OTLP/JSON writes ids in hex and enums as numbers; a protobuf message printed by
`MessageToDict` writes ids in base64 and enums by name. Both are read.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from fieldeval.errors import DataError

PROTOBUF_HINT = "pip install 'fieldeval[traces]'"
_STATUS_ERROR = (2, "STATUS_CODE_ERROR")


@dataclass(frozen=True)
class Span:
    trace_id: str  # hex
    span_id: str  # hex
    parent_id: str | None
    name: str
    start_ns: int
    end_ns: int
    attributes: Mapping[str, Any]
    resource: Mapping[str, Any]
    events: tuple[tuple[str, Mapping[str, Any]], ...] = ()
    error: str | None = None  # the status message of a span whose status is ERROR


def spans_from_json(export: Any, where: str) -> Iterator[Span]:
    """The spans of one OTLP/JSON export; `where` names it in errors."""
    if not isinstance(export, Mapping) or not isinstance(export.get("resourceSpans"), list):
        raise DataError(
            f"{where}: not an OTLP trace export (no 'resourceSpans' list)",
            hint="export OTLP/JSON (an ExportTraceServiceRequest per line or per file)",
        )
    for resource_spans in export["resourceSpans"]:
        resource = _attributes((resource_spans.get("resource") or {}).get("attributes"))
        for scope_spans in resource_spans.get("scopeSpans") or ():
            for span in scope_spans.get("spans") or ():
                try:
                    yield _json_span(span, resource)
                except (KeyError, TypeError, ValueError) as error:
                    raise DataError(
                        f"{where}: a span cannot be read ({type(error).__name__}: {error})",
                        hint="each span needs traceId, spanId, startTimeUnixNano, endTimeUnixNano",
                    ) from error


def require_protobuf() -> None:
    """Fail now, with the install command, if OTLP protobuf cannot be read here."""
    try:
        import opentelemetry.proto.collector.trace.v1.trace_service_pb2  # noqa: F401
    except ImportError as error:
        from fieldeval.errors import ConfigError

        raise ConfigError(
            "reading OTLP protobuf (what the OpenTelemetry exporters send) needs the traces extra",
            hint=PROTOBUF_HINT,
        ) from error


def spans_from_protobuf(body: bytes, where: str) -> Iterator[Span]:
    """The spans of one protobuf `ExportTraceServiceRequest`, as the OTLP exporters send it."""
    require_protobuf()
    from google.protobuf.message import DecodeError
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
        ExportTraceServiceRequest,
    )

    export = ExportTraceServiceRequest()
    try:
        export.ParseFromString(body)
    except DecodeError as error:
        raise DataError(f"{where}: not an OTLP protobuf trace export: {error}") from error
    for resource_spans in export.resource_spans:
        resource = {kv.key: proto_value(kv.value) for kv in resource_spans.resource.attributes}
        for scope_spans in resource_spans.scope_spans:
            for span in scope_spans.spans:
                yield Span(
                    trace_id=span.trace_id.hex(),
                    span_id=span.span_id.hex(),
                    parent_id=span.parent_span_id.hex() or None,
                    name=span.name,
                    start_ns=span.start_time_unix_nano,
                    end_ns=span.end_time_unix_nano,
                    attributes={kv.key: proto_value(kv.value) for kv in span.attributes},
                    resource=resource,
                    events=tuple(
                        (event.name, {kv.key: proto_value(kv.value) for kv in event.attributes})
                        for event in span.events
                    ),
                    error=(span.status.message or "error") if span.status.code == 2 else None,
                )


def _json_span(span: Mapping[str, Any], resource: Mapping[str, Any]) -> Span:
    status = span.get("status") or {}
    parent = span.get("parentSpanId")
    return Span(
        trace_id=hex_id(span["traceId"]),
        span_id=hex_id(span["spanId"]),
        parent_id=hex_id(parent) if parent else None,
        name=str(span.get("name", "")),
        start_ns=int(span["startTimeUnixNano"]),
        end_ns=int(span["endTimeUnixNano"]),
        attributes=_attributes(span.get("attributes")),
        resource=resource,
        events=tuple(
            (str(event.get("name", "")), _attributes(event.get("attributes")))
            for event in span.get("events") or ()
        ),
        error=(status.get("message") or "error") if status.get("code") in _STATUS_ERROR else None,
    )


def hex_id(value: str) -> str:
    """A span or trace id as hex, from OTLP/JSON's hex or protobuf JSON's base64."""
    text = str(value)
    if len(text) in (16, 32) and all(c in "0123456789abcdefABCDEF" for c in text):
        return text.lower()
    try:
        return base64.b64decode(text, validate=True).hex()
    except (binascii.Error, ValueError) as error:
        raise ValueError(f"id {text!r} is neither hex nor base64") from error


def _attributes(pairs: Any) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for pair in pairs or ():
        found[str(pair["key"])] = json_value(pair.get("value") or {})
    return found


def json_value(value: Mapping[str, Any]) -> Any:
    if "stringValue" in value:
        return value["stringValue"]
    if "intValue" in value:
        return int(value["intValue"])  # a string in OTLP/JSON: 64 bits do not fit a double
    if "doubleValue" in value:
        return float(value["doubleValue"])
    if "boolValue" in value:
        return bool(value["boolValue"])
    if "arrayValue" in value:
        return [json_value(item) for item in (value["arrayValue"].get("values") or ())]
    if "kvlistValue" in value:
        return _attributes(value["kvlistValue"].get("values"))
    if "bytesValue" in value:
        return value["bytesValue"]
    return None


def proto_value(value: Any) -> Any:
    kind = value.WhichOneof("value")
    if kind == "array_value":
        return [proto_value(item) for item in value.array_value.values]
    if kind == "kvlist_value":
        return {kv.key: proto_value(kv.value) for kv in value.kvlist_value.values}
    if kind == "bytes_value":
        return base64.b64encode(value.bytes_value).decode()
    return None if kind is None else getattr(value, kind)
