"""OpenAI-format request logs: one JSON object per line, the request and the response it got.

    {"request": {"model": ..., "messages": [...]}, "response": {"choices": [...], "usage": ...},
     "timestamp": "2026-11-30T09:12:00Z", "latency_ms": 812, "metadata": {"route": "billing"}}

`timestamp` is ISO 8601 or Unix seconds (or `response.created`); `metadata` becomes the
record's attributes; a line with `error` (and no response) is a failed call.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from fieldeval.records.production import ProductionRecord
from fieldeval.traces.conventions import content_text, holds_secret


def is_request_log(line: Mapping[str, Any]) -> bool:
    return isinstance(line.get("request"), Mapping)


def log_record(line: Mapping[str, Any], raw: str, where: str) -> ProductionRecord:
    """One log line as a record; `where` (file:line) names it in errors."""
    from fieldeval.errors import DataError

    request = line["request"]
    messages = request.get("messages")
    if not isinstance(messages, list) or not messages:
        raise DataError(f"{where}: 'request.messages' must be a non-empty list of messages")
    response = line.get("response") or {}
    if not isinstance(response, Mapping):
        raise DataError(f"{where}: 'response' must be an object (the API's JSON answer)")
    choices = response.get("choices") or ()
    first = choices[0] if choices and isinstance(choices[0], Mapping) else {}
    message = first.get("message") or {}
    usage = response.get("usage") or {}
    error = line.get("error")
    return ProductionRecord(
        id="log:" + hashlib.sha256(raw.encode()).hexdigest()[:40],
        source="openai-log",
        started_at=_timestamp(line.get("timestamp", response.get("created")), where),
        messages=tuple(
            {"role": str(m.get("role", "user")), "content": content_text(m.get("content"))}
            for m in messages
            if isinstance(m, Mapping)
        ),
        output=content_text(message.get("content")) if "content" in message else None,
        model=response.get("model") or request.get("model"),
        latency_ms=_number(line.get("latency_ms")),
        input_tokens=usage.get("prompt_tokens", usage.get("input_tokens")),
        output_tokens=usage.get("completion_tokens", usage.get("output_tokens")),
        error=None if error is None else json.dumps(error) if not isinstance(error, str) else error,
        attributes={
            str(key): value if isinstance(value, str | int | float | bool) else json.dumps(value)
            for key, value in (line.get("metadata") or {}).items()
            if not holds_secret(str(key))
        },
    )


def _timestamp(value: Any, where: str) -> datetime:
    from fieldeval.errors import DataError

    if isinstance(value, int | float) and not isinstance(value, bool):
        return datetime.fromtimestamp(value, UTC)
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            pass
        else:
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    raise DataError(
        f"{where}: 'timestamp' {value!r} is not a time",
        hint="give ISO 8601 (2026-11-30T09:12:00Z) or Unix seconds",
    )


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None
