"""Which spans are model calls, and what they sent and got: the GenAI and OpenInference conventions.

OpenTelemetry GenAI (`gen_ai.*`): `gen_ai.operation.name`, the model, `gen_ai.usage.*`, and
the content as `gen_ai.input.messages` / `gen_ai.output.messages` (the latest conventions),
as span events (`gen_ai.user.message`, `gen_ai.choice`, older instrumentations) or as
indexed `gen_ai.prompt.N.*` / `gen_ai.completion.N.*` attributes (OpenLLMetry).
OpenInference: `openinference.span.kind = LLM`, `llm.input_messages.N.message.*`,
`llm.output_messages.N.message.*`, `llm.model_name`, `llm.token_count.*`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from fieldeval.records.production import ProductionRecord
from fieldeval.traces.spans import Span

_GENAI_OPERATIONS = {"chat", "text_completion", "generate_content"}
# Attributes that hold content: kept as messages and output, never as slices.
_CONTENT = re.compile(
    r"^(gen_ai\.(input|output)\.messages|gen_ai\.system_instructions|gen_ai\.(prompt|completion)\b"
    r"|llm\.(input|output)_messages\.|llm\.prompts|llm\.tools|(input|output)\.value"
    r"|llm\.invocation_parameters)"
)
# Attributes that may hold a credential: never stored (an instrumentation that records
# request headers would otherwise put the app's API key in the store).
_SECRET = re.compile(r"(authorization|api[_.-]?key|secret|password|cookie|token$)", re.IGNORECASE)
_INDEXED = re.compile(r"^(?P<prefix>.+?)\.(?P<index>\d+)\.(?P<rest>.+)$")


def model_calls(spans: Iterable[Span]) -> Iterator[ProductionRecord]:
    """The model calls among `spans`, each with the attributes of its ancestors among them."""
    spans = list(spans)
    by_id = {span.span_id: span for span in spans}
    for span in spans:
        source = _source(span.attributes)
        if source is not None:
            yield _record(span, source, _inherited(span, by_id))


def _source(attributes: Mapping[str, Any]) -> str | None:
    if attributes.get("openinference.span.kind") == "LLM":
        return "openinference"
    operation = attributes.get("gen_ai.operation.name")
    if operation in _GENAI_OPERATIONS or (
        operation is None and "gen_ai.request.model" in attributes
    ):
        return "otlp"
    return None


def _inherited(span: Span, by_id: Mapping[str, Span]) -> dict[str, Any]:
    """Resource attributes, then each ancestor's from the root down, then the span's own."""
    chain = [span]
    seen = {span.span_id}
    while chain[-1].parent_id in by_id and chain[-1].parent_id not in seen:
        parent = by_id[chain[-1].parent_id]  # type: ignore[index]
        seen.add(parent.span_id)
        chain.append(parent)
    merged: dict[str, Any] = dict(span.resource)
    for ancestor in reversed(chain):
        merged.update(ancestor.attributes)
    return {key: _scalar(value) for key, value in merged.items() if not _is_content(key)}


@lru_cache(maxsize=4096)
def _is_content(key: str) -> bool:
    """Content (kept as messages and output) or a credential (never kept): not a slice."""
    # Cached: every span of an export repeats the same few dozen keys.
    return _CONTENT.match(key) is not None or holds_secret(key)


def holds_secret(key: str) -> bool:
    """Whether an attribute's name says it may hold a credential."""
    return _SECRET.search(key) is not None


def _scalar(value: Any) -> str | int | float | bool:
    """An attribute's value as a slice can hold it: a list of scalars joined, else JSON."""
    if isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, list) and all(isinstance(item, str | int | float) for item in value):
        return ",".join(str(item) for item in value)
    return json.dumps(value, sort_keys=True)


def _record(span: Span, source: str, attributes: dict[str, Any]) -> ProductionRecord:
    own = span.attributes
    if source == "openinference":
        messages = _indexed_messages(own, "llm.input_messages", "message.")
        outputs = _indexed_messages(own, "llm.output_messages", "message.")
        model = own.get("llm.model_name")
        input_tokens = own.get("llm.token_count.prompt")
        output_tokens = own.get("llm.token_count.completion")
    else:
        messages = _genai_messages(span)
        outputs = _genai_outputs(span)
        model = own.get("gen_ai.response.model") or own.get("gen_ai.request.model")
        input_tokens = _first(own, "gen_ai.usage.input_tokens", "gen_ai.usage.prompt_tokens")
        output_tokens = _first(own, "gen_ai.usage.output_tokens", "gen_ai.usage.completion_tokens")
    texts = [m["content"] for m in outputs if m.get("role", "assistant") == "assistant"]
    error = span.error or (f"error.type {own['error.type']}" if "error.type" in own else None)
    return ProductionRecord(
        id=f"{span.trace_id}:{span.span_id}",
        source=source,
        started_at=datetime.fromtimestamp(span.start_ns / 1e9, UTC),
        messages=tuple(messages),
        output="\n".join(texts) if texts else None,
        model=str(model) if model else None,
        latency_ms=round((span.end_ns - span.start_ns) / 1e6, 3),
        input_tokens=_int(input_tokens),
        output_tokens=_int(output_tokens),
        error=error,
        trace_id=span.trace_id,
        span_id=span.span_id,
        attributes=attributes,
    )


def _genai_messages(span: Span) -> list[dict[str, Any]]:
    own = span.attributes
    messages: list[dict[str, Any]] = []
    if "gen_ai.system_instructions" in own:
        parts = parsed_json(own["gen_ai.system_instructions"])
        messages.append({"role": "system", "content": content_text(parts)})
    if "gen_ai.input.messages" in own:
        return messages + [_message(m) for m in parsed_json(own["gen_ai.input.messages"]) or ()]
    if any(key.startswith("gen_ai.prompt.") for key in own):
        return _indexed_messages(own, "gen_ai.prompt", "")
    for name, attributes in span.events:  # the span-event form of the older conventions
        role = name.removeprefix("gen_ai.").removesuffix(".message")
        if name.endswith(".message") and role in {"system", "user", "assistant", "tool"}:
            content = attributes.get("content")
            messages.append({"role": role, "content": content_text(parsed_json(content))})
    return messages


def _genai_outputs(span: Span) -> list[dict[str, Any]]:
    own = span.attributes
    if "gen_ai.output.messages" in own:
        return [_message(m) for m in parsed_json(own["gen_ai.output.messages"]) or ()]
    if any(key.startswith("gen_ai.completion.") for key in own):
        return _indexed_messages(own, "gen_ai.completion", "")
    choices = []
    for name, attributes in span.events:
        if name == "gen_ai.choice":
            message = parsed_json(attributes.get("message")) or {}
            content = message.get("content") if isinstance(message, Mapping) else message
            choices.append({"role": "assistant", "content": content_text(content)})
    return choices


def _message(message: Any) -> dict[str, Any]:
    if not isinstance(message, Mapping):
        return {"role": "user", "content": str(message)}
    content = message.get("parts", message.get("content"))
    return {"role": str(message.get("role", "user")), "content": content_text(content)}


def content_text(parts: Any) -> str:
    """The text of a message's content: a string, or GenAI / OpenAI parts."""
    if parts is None:
        return ""
    if isinstance(parts, str):
        return parts
    if isinstance(parts, Mapping):
        parts = [parts]
    texts = []
    for part in parts if isinstance(parts, Sequence) else ():
        if isinstance(part, str):
            texts.append(part)
        elif isinstance(part, Mapping) and part.get("type", "text") == "text":
            texts.append(str(part.get("content", part.get("text", ""))))
    return "".join(texts)


def _indexed_messages(
    attributes: Mapping[str, Any], prefix: str, inner: str
) -> list[dict[str, Any]]:
    """`prefix.N.<inner>role` / `prefix.N.<inner>content` attributes, in N's order."""
    found: dict[int, dict[str, Any]] = {}
    for key, value in attributes.items():
        matched = _INDEXED.match(key)
        if matched is None or matched["prefix"] != prefix:
            continue
        rest = matched["rest"].removeprefix(inner)
        if rest in ("role", "content"):
            found.setdefault(int(matched["index"]), {})[rest] = value
    return [
        {"role": str(m.get("role", "user")), "content": str(m.get("content", ""))}
        for _, m in sorted(found.items())
    ]


def parsed_json(value: Any) -> Any:
    """A JSON string parsed; anything else (or text that is not JSON) as it is."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    return value


def _first(attributes: Mapping[str, Any], *keys: str) -> Any:
    return next((attributes[key] for key in keys if key in attributes), None)


def _int(value: Any) -> int | None:
    try:
        return None if value is None else int(value)
    except (TypeError, ValueError):
        return None
