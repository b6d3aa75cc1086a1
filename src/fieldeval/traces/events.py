"""GenAI log events, as OTLP log exports carry them, and a model call's content read from them.

Instrumentations that log content instead of putting it on the span (openai-v2 with
`OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=true`, the GenAI conventions before
`gen_ai.input.messages`) emit `gen_ai.system.message`, `gen_ai.user.message`,
`gen_ai.assistant.message`, `gen_ai.tool.message` and `gen_ai.choice` log records, each
with the trace and span id of its call. The span and its events come in separate exports;
the store keeps both, and a record is given its events' content when it is read.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import replace
from typing import Any

from fieldeval.errors import DataError
from fieldeval.records.production import ProductionEvent, ProductionRecord
from fieldeval.traces.conventions import content_text, parsed_json
from fieldeval.traces.spans import hex_id, json_value, proto_value, require_protobuf

_ROLES = {"system", "user", "assistant", "tool"}


def events_from_json(export: Any, where: str) -> Iterator[ProductionEvent]:
    """The GenAI events of one OTLP/JSON log export; other log records are left out."""
    if not isinstance(export, Mapping) or not isinstance(export.get("resourceLogs"), list):
        raise DataError(f"{where}: not an OTLP log export (no 'resourceLogs' list)")
    for resource_logs in export["resourceLogs"]:
        for scope_logs in resource_logs.get("scopeLogs") or ():
            for log in scope_logs.get("logRecords") or ():
                name = log.get("eventName") or _attribute(log.get("attributes"), "event.name")
                if not str(name or "").startswith("gen_ai.") or not log.get("spanId"):
                    continue
                try:
                    yield ProductionEvent(
                        trace_id=hex_id(log["traceId"]),
                        span_id=hex_id(log["spanId"]),
                        name=str(name),
                        body=json_value(log.get("body") or {}),
                        time_ns=int(
                            log.get("timeUnixNano") or log.get("observedTimeUnixNano") or 0
                        ),
                    )
                except (KeyError, TypeError, ValueError) as error:
                    raise DataError(f"{where}: a log record cannot be read ({error})") from error


def events_from_protobuf(body: bytes, where: str) -> Iterator[ProductionEvent]:
    """The GenAI events of one protobuf `ExportLogsServiceRequest`."""
    require_protobuf()
    from google.protobuf.message import DecodeError
    from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest

    export = ExportLogsServiceRequest()
    try:
        export.ParseFromString(body)
    except DecodeError as error:
        raise DataError(f"{where}: not an OTLP protobuf log export: {error}") from error
    for resource_logs in export.resource_logs:
        for scope_logs in resource_logs.scope_logs:
            for log in scope_logs.log_records:
                attributes = {kv.key: proto_value(kv.value) for kv in log.attributes}
                name = log.event_name or attributes.get("event.name") or ""
                if not str(name).startswith("gen_ai.") or not log.span_id:
                    continue
                yield ProductionEvent(
                    trace_id=log.trace_id.hex(),
                    span_id=log.span_id.hex(),
                    name=str(name),
                    body=proto_value(log.body),
                    time_ns=log.time_unix_nano or log.observed_time_unix_nano,
                )


def with_events(record: ProductionRecord, events: Iterable[ProductionEvent]) -> ProductionRecord:
    """The record with its messages and output read from its events, where the span had none."""
    ordered = sorted(events, key=lambda event: event.time_ns)
    messages = list(record.messages)
    output = record.output
    if not messages:
        for event in ordered:
            role = event.name.removeprefix("gen_ai.").removesuffix(".message")
            if event.name.endswith(".message") and role in _ROLES:
                body = event.body if isinstance(event.body, Mapping) else {"content": event.body}
                messages.append({"role": role, "content": content_text(body.get("content"))})
    if output is None:
        choices = []
        for event in ordered:
            if event.name == "gen_ai.choice" and isinstance(event.body, Mapping):
                # A map (the SDK's), or the same as a JSON string (some older emitters).
                message = parsed_json(event.body.get("message")) or {}
                if isinstance(message, Mapping) and "content" in message:
                    choices.append(content_text(message.get("content")))
        output = "\n".join(choices) if choices else None
    return replace(record, messages=tuple(messages), output=output)


def _attribute(pairs: Any, key: str) -> Any:
    for pair in pairs or ():
        if pair.get("key") == key:
            return json_value(pair.get("value") or {})
    return None
