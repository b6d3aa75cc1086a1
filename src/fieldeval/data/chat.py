"""Chat logs in the OpenAI messages format, as records with `input` and `reference`."""

from __future__ import annotations

from typing import Any

from fieldeval.errors import DataError

_HINT = 'each row needs `"messages": [{"role": "user", "content": "..."}, ...]`'


def is_chat(fields: dict[str, Any]) -> bool:
    """Whether a row looks like a chat log: a `messages` list of {role, content} turns."""
    turns = fields.get("messages")
    return (
        isinstance(turns, list)
        and bool(turns)
        and all(isinstance(turn, dict) and "role" in turn for turn in turns)
    )


def chat_fields(fields: dict[str, Any], source: str) -> dict[str, Any]:
    """The row's other keys, plus `messages` (the turns before the final assistant turn),
    `input` (the last user message of those) and `reference` (that final assistant
    message, or None when the log does not end with one)."""
    if not is_chat(fields):
        raise DataError(f"{source}: not a chat log", hint=_HINT)
    turns: list[dict[str, Any]] = fields["messages"]
    reference = None
    if turns[-1]["role"] == "assistant":
        reference = _text(turns[-1], source)
        turns = turns[:-1]
    users = [turn for turn in turns if turn["role"] == "user"]
    if not users:
        raise DataError(f"{source}: the chat log has no user message before its answer", hint=_HINT)
    return {
        **fields,
        "messages": turns,
        "input": _text(users[-1], source),
        "reference": reference,
    }


def _text(turn: dict[str, Any], source: str) -> str:
    content = turn.get("content")
    if isinstance(content, str):
        return content
    # The newer content-parts form: [{"type": "text", "text": "..."}, {"type": "image_url"...}]
    if isinstance(content, list):
        return "\n".join(
            part["text"]
            for part in content
            if isinstance(part, dict) and isinstance(part.get("text"), str)
        )
    if content is None:  # an assistant turn that only calls tools
        return ""
    raise DataError(
        f"{source}: a {turn['role']} message has content of type {type(content).__name__}",
        hint="message content is a string or a list of {type: text, text: ...} parts",
    )
