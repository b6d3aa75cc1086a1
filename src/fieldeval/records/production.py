"""One model call from production, as a trace or a request log recorded it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class ProductionRecord:
    """A call the app made: what it sent, what came back, and the attributes around it.

    `attributes` are the scalar attributes of the span, of its ancestors in the same export
    and of its resource (the span's own win), for slicing: `app.route`, `customer.tier`...
    Message content is kept in `messages` and `output`, never in `attributes`.
    """

    id: str  # "<trace id>:<span id>", or "log:<sha256 of the line>"
    source: str  # otlp, openinference, openai-log
    started_at: datetime  # UTC
    messages: tuple[Mapping[str, Any], ...]  # the request's messages: {"role", "content"}
    output: str | None  # the reply's text; None when the trace did not capture it
    model: str | None = None
    latency_ms: float | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None
    error: str | None = None  # the span's error status or the log's error, when the call failed
    trace_id: str | None = None
    span_id: str | None = None
    attributes: Mapping[str, str | int | float | bool] = field(default_factory=dict)

    @property
    def input(self) -> str:
        """The last user message's text: what an eval example asks."""
        for message in reversed(self.messages):
            if message.get("role") == "user":
                return str(message.get("content") or "")
        return ""

    @property
    def captured(self) -> bool:
        """Whether the trace holds the content an example needs (an input and an output)."""
        return bool(self.input) and self.output is not None


@dataclass(frozen=True)
class ProductionEvent:
    """A GenAI log event of a model call's span (`gen_ai.user.message`, `gen_ai.choice`...):
    where instrumentations that log content put it, apart from the span."""

    trace_id: str
    span_id: str
    name: str
    body: Any  # the event's body as JSON: {"content": ...}, {"message": {...}}, ...
    time_ns: int  # when it happened (else when it was observed)

    @property
    def id(self) -> str:
        """The same event collected twice has the same id."""
        import hashlib
        import json

        key = json.dumps([self.trace_id, self.span_id, self.name, self.time_ns, self.body])
        return hashlib.sha256(key.encode()).hexdigest()[:40]
