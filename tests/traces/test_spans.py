"""OTLP exports read into model calls: both encodings, every convention, and bad input named."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.trace.v1.trace_pb2 import Span as ProtoSpan
from opentelemetry.proto.trace.v1.trace_pb2 import Status

from fieldeval.errors import DataError
from fieldeval.traces.conventions import model_calls
from fieldeval.traces.files import read_trace_file
from fieldeval.traces.spans import spans_from_json, spans_from_protobuf

TRACE = "5b8efff798038103d269b633813fc60c"
START = 1_796_700_000_000_000_000  # ns
PARENT, CHILD = "eee19b7ec3c1b174", "eee19b7ec3c1b173"


def _value(value):
    if isinstance(value, bool):
        return {"boolValue": value}
    if isinstance(value, int):
        return {"intValue": str(value)}
    if isinstance(value, float):
        return {"doubleValue": value}
    if isinstance(value, list):
        return {"arrayValue": {"values": [_value(v) for v in value]}}
    return {"stringValue": value}


def _attrs(mapping):
    return [{"key": k, "value": _value(v)} for k, v in mapping.items()]


def _export(llm_attributes, *, events=(), status=None, resource=None, parent_attrs=None):
    llm = {
        "traceId": TRACE,
        "spanId": CHILD,
        "parentSpanId": PARENT,
        "name": "chat gpt-4o",
        "startTimeUnixNano": str(START),
        "endTimeUnixNano": str(START + 812_500_000),
        "attributes": _attrs(llm_attributes),
        "events": [{"name": n, "attributes": _attrs(a)} for n, a in events],
    }
    if status:
        llm["status"] = status
    parent = {
        "traceId": TRACE,
        "spanId": PARENT,
        "name": "handle",
        "startTimeUnixNano": str(START - 1000),
        "endTimeUnixNano": str(START + 900_000_000),
        "attributes": _attrs(parent_attrs or {"app.route": "billing", "customer.tier": "gold"}),
    }
    return {
        "resourceSpans": [
            {
                "resource": {"attributes": _attrs(resource or {"service.name": "bot"})},
                "scopeSpans": [{"scope": {"name": "x"}, "spans": [llm, parent]}],
            }
        ]
    }


def _one(export):
    [record] = list(model_calls(spans_from_json(export, "test")))
    return record


GENAI = {
    "gen_ai.operation.name": "chat",
    "gen_ai.request.model": "gpt-4o",
    "gen_ai.response.model": "gpt-4o-2024-08-06",
    "gen_ai.usage.input_tokens": 31,
    "gen_ai.usage.output_tokens": 9,
    "gen_ai.response.finish_reasons": ["stop"],
}


def test_latest_genai_conventions_give_messages_output_tokens_and_inherited_slices() -> None:
    record = _one(
        _export(
            {
                **GENAI,
                "gen_ai.system_instructions": json.dumps(
                    [{"type": "text", "content": "Be brief."}]
                ),
                "gen_ai.input.messages": json.dumps(
                    [{"role": "user", "parts": [{"type": "text", "content": "Refund?"}]}]
                ),
                "gen_ai.output.messages": json.dumps(
                    [{"role": "assistant", "parts": [{"type": "text", "content": "Five days."}]}]
                ),
                "customer.tier": "silver",  # the span's own attribute wins over its parent's
                "http.request.header.authorization": "Bearer sk-live-123",
                "app.api_key": "sk-live-456",
                "session.token": "abc",
            }
        )
    )
    assert record.id == f"{TRACE}:{CHILD}"
    assert record.source == "otlp"
    assert record.messages == (
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Refund?"},
    )
    assert record.input == "Refund?"
    assert record.output == "Five days."
    assert record.model == "gpt-4o-2024-08-06"
    assert (record.input_tokens, record.output_tokens) == (31, 9)
    assert record.latency_ms == 812.5
    assert record.started_at.timestamp() == pytest.approx(START / 1e9)
    assert record.attributes["app.route"] == "billing"
    assert record.attributes["customer.tier"] == "silver"
    assert record.attributes["service.name"] == "bot"
    assert record.attributes["gen_ai.response.finish_reasons"] == "stop"
    # Content never becomes a slice, and a credential is never kept.
    assert not any("messages" in key or "instructions" in key for key in record.attributes)
    assert "sk-live" not in repr(record) and "session.token" not in record.attributes
    assert record.attributes["gen_ai.usage.input_tokens"] == 31


def test_span_events_of_the_older_conventions() -> None:
    record = _one(
        _export(
            GENAI,
            events=[
                ("gen_ai.system.message", {"content": "Be brief."}),
                ("gen_ai.user.message", {"content": "Where is it?"}),
                ("gen_ai.choice", {"message": json.dumps({"content": "On its way."})}),
            ],
        )
    )
    assert record.input == "Where is it?"
    assert record.output == "On its way."


def test_indexed_prompt_attributes_as_openllmetry_writes_them() -> None:
    record = _one(
        _export(
            {
                **GENAI,
                "gen_ai.prompt.0.role": "system",
                "gen_ai.prompt.0.content": "Be brief.",
                "gen_ai.prompt.1.role": "user",
                "gen_ai.prompt.1.content": "Cancel my plan",
                "gen_ai.completion.0.role": "assistant",
                "gen_ai.completion.0.content": "Done.",
            }
        )
    )
    assert [m["role"] for m in record.messages] == ["system", "user"]
    assert (record.input, record.output) == ("Cancel my plan", "Done.")


def test_openinference_llm_spans() -> None:
    record = _one(
        _export(
            {
                "openinference.span.kind": "LLM",
                "llm.model_name": "claude-3-5-haiku",
                "llm.input_messages.0.message.role": "user",
                "llm.input_messages.0.message.content": "Hola",
                "llm.output_messages.0.message.role": "assistant",
                "llm.output_messages.0.message.content": "¡Hola!",
                "llm.token_count.prompt": 3,
                "llm.token_count.completion": 2,
                "input.value": "{}",
            }
        )
    )
    assert record.source == "openinference"
    assert (record.input, record.output, record.model) == ("Hola", "¡Hola!", "claude-3-5-haiku")
    assert (record.input_tokens, record.output_tokens) == (3, 2)
    assert "input.value" not in record.attributes


def test_a_span_without_content_is_a_record_that_cannot_be_sampled() -> None:
    record = _one(_export(GENAI))
    assert record.messages == () and record.output is None
    assert not record.captured


def test_error_status_is_kept() -> None:
    record = _one(_export(GENAI, status={"code": 2, "message": "rate limited"}))
    assert record.error == "rate limited"


def test_spans_that_are_not_model_calls_are_not_records() -> None:
    export = _export({"http.method": "GET"})
    assert list(model_calls(spans_from_json(export, "test"))) == []


def test_protobuf_and_json_of_the_same_export_give_the_same_record() -> None:
    attributes = {**GENAI, "gen_ai.input.messages": json.dumps([{"role": "user", "content": "Hi"}])}
    proto = ExportTraceServiceRequest()
    resource_spans = proto.resource_spans.add()
    resource_spans.resource.attributes.append(
        KeyValue(key="service.name", value=AnyValue(string_value="bot"))
    )
    scope = resource_spans.scope_spans.add()
    for span_id, parent, attrs in (
        (CHILD, PARENT, attributes),
        (PARENT, "", {"app.route": "billing", "customer.tier": "gold"}),
    ):
        span = ProtoSpan(
            trace_id=bytes.fromhex(TRACE),
            span_id=bytes.fromhex(span_id),
            parent_span_id=bytes.fromhex(parent),
            name="chat gpt-4o" if parent else "handle",
            start_time_unix_nano=START if parent else START - 1000,
            end_time_unix_nano=START + 812_500_000 if parent else START + 900_000_000,
            status=Status(code=Status.STATUS_CODE_UNSET),
        )
        for key, value in attrs.items():
            if isinstance(value, str):
                any_value = AnyValue(string_value=value)
            elif isinstance(value, int):
                any_value = AnyValue(int_value=value)
            else:
                any_value = AnyValue()
                any_value.array_value.values.extend(AnyValue(string_value=v) for v in value)
            span.attributes.append(KeyValue(key=key, value=any_value))
        scope.spans.append(span)
    from_proto = list(model_calls(spans_from_protobuf(proto.SerializeToString(), "test")))
    from_json = list(model_calls(spans_from_json(_export(attributes), "test")))
    assert from_proto == from_json


def test_base64_ids_as_message_to_dict_prints_them() -> None:
    export = _export(GENAI)
    span = export["resourceSpans"][0]["scopeSpans"][0]["spans"][0]
    span["traceId"] = base64.b64encode(bytes.fromhex(TRACE)).decode()
    span["spanId"] = base64.b64encode(bytes.fromhex(CHILD)).decode()
    assert _one(export).id == f"{TRACE}:{CHILD}"


def test_not_an_export_is_named() -> None:
    with pytest.raises(DataError, match=r"spans\.json:2: not an OTLP trace export"):
        list(spans_from_json({"data": []}, "spans.json:2"))


def test_garbage_protobuf_is_a_data_error() -> None:
    with pytest.raises(DataError, match="not an OTLP protobuf trace export"):
        list(spans_from_protobuf(b"\xff\xff\xff\xff", "body"))


def test_a_file_of_exports_and_a_bad_line_named(tmp_path: Path) -> None:
    good = json.dumps(
        _export({**GENAI, "gen_ai.input.messages": '[{"role":"user","content":"a"}]'})
    )
    path = tmp_path / "spans.jsonl"
    path.write_text(good + "\n" + good + "\n", encoding="utf-8")
    assert len(read_trace_file(path)) == 2  # the same span twice: the store keeps it once
    path.write_text(good + "\n{not json\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"spans.jsonl:2: not JSON"):
        read_trace_file(path)


def test_a_pretty_printed_export_and_an_error_on_its_line(tmp_path: Path) -> None:
    path = tmp_path / "export.json"
    path.write_text(json.dumps(_export(GENAI), indent=2), encoding="utf-8")
    assert len(read_trace_file(path)) == 1
    path.write_text('{\n  "resourceSpans": [\n    oops\n  ]\n}\n', encoding="utf-8")
    with pytest.raises(DataError, match=r"export.json:3: not JSON"):
        read_trace_file(path)


def test_a_file_that_is_not_utf8_says_so(tmp_path: Path) -> None:
    path = tmp_path / "spans.json"
    path.write_bytes(b"\x0a\x12\xff\xfe binary")
    with pytest.raises(DataError, match="not UTF-8"):
        read_trace_file(path)


def _log_export(events: list[tuple[str, dict, int]]) -> dict:
    return {
        "resourceLogs": [
            {
                "scopeLogs": [
                    {
                        "logRecords": [
                            {
                                "eventName": name,
                                "traceId": TRACE,
                                "spanId": CHILD,
                                "timeUnixNano": str(START + offset),
                                "body": {"kvlistValue": {"values": _attrs(body)}},
                            }
                            for name, body, offset in events
                        ]
                        + [{"eventName": "http.request", "traceId": TRACE, "spanId": CHILD}]
                    }
                ]
            }
        ]
    }


def test_content_logged_as_events_is_joined_to_its_span(tmp_path: Path) -> None:
    from fieldeval.traces.events import with_events
    from fieldeval.traces.files import read_telemetry

    path = tmp_path / "telemetry.jsonl"
    logs = _log_export(
        [
            ("gen_ai.choice", {"index": 0, "message": json.dumps({"content": "Five days."})}, 3),
            ("gen_ai.user.message", {"content": "Refund?"}, 2),
            ("gen_ai.system.message", {"content": "Be brief."}, 1),
        ]
    )
    path.write_text(json.dumps(_export(GENAI)) + "\n" + json.dumps(logs) + "\n", encoding="utf-8")
    found = read_telemetry(path)
    [record] = found.records
    assert not record.captured
    assert [event.name for event in found.events] == [
        "gen_ai.choice", "gen_ai.user.message", "gen_ai.system.message",
    ]  # fmt: skip
    joined = with_events(record, found.events)
    assert joined.messages == (
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Refund?"},
    )
    assert joined.output == "Five days." and joined.captured
