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
