"""Prompt templates: Jinja2 in a sandbox, strict about missing fields.

Dataset text is passed in as variables, never as template source, so a row that contains
`{{ }}` or `{% %}` is sent as written and never evaluated.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any

from jinja2 import StrictUndefined, TemplateError, UndefinedError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from fieldeval.errors import SuiteError
from fieldeval.records.request import Message
from fieldeval.suite.prompt import Prompt


@cache
def _environment() -> ImmutableSandboxedEnvironment:
    return ImmutableSandboxedEnvironment(
        undefined=StrictUndefined, autoescape=False, keep_trailing_newline=False
    )


@cache
def _compile(source: str) -> Any:
    try:
        return _environment().from_string(source)
    except TemplateError as error:
        raise SuiteError(
            f"template {source[:60]!r} does not parse: {error}",
            hint="check the {{ }} and {% %} pairs",
        ) from error


def render(source: str, fields: Mapping[str, Any], *, where: str = "template") -> str:
    """Render one template over an example's fields."""
    try:
        return str(_compile(source).render(**fields))
    except UndefinedError as error:
        known = ", ".join(sorted(fields)) or "(none)"
        raise SuiteError(
            f"{where} uses a field the data does not have: {error.message}",
            hint=f"the example's fields are: {known}",
        ) from error
    except TemplateError as error:
        raise SuiteError(f"{where} failed to render: {error}") from error


def render_messages(prompt: Prompt, fields: Mapping[str, Any]) -> tuple[Message, ...]:
    """The chat messages a prompt becomes for one example."""
    messages: list[Message] = []
    if prompt.system is not None:
        messages.append(Message("system", render(prompt.system, fields, where="prompt.system")))
    if prompt.template is not None:
        messages.append(Message("user", render(prompt.template, fields, where="prompt")))
    for index, message in enumerate(prompt.messages or ()):
        text = render(message.content, fields, where=f"prompt.messages[{index}]")
        messages.append(Message(message.role, text))
    if prompt.conversation is not None:
        messages.extend(_conversation(fields, prompt.conversation))
    return tuple(messages)


def _conversation(fields: Mapping[str, Any], name: str) -> list[Message]:
    turns = fields.get(name)
    if not isinstance(turns, list) or not turns:
        raise SuiteError(
            f"prompt.conversation names field {name!r}, which is not a list of messages",
            hint="use a chat-log dataset (OpenAI messages format) or a template prompt",
        )
    messages = []
    for turn in turns:
        role, content = turn.get("role"), turn.get("content")
        if role not in ("system", "user", "assistant", "tool") or not isinstance(content, str):
            raise SuiteError(
                f"field {name!r} holds a message that is not {{role, content}}: {turn!r:.80}"
            )
        messages.append(Message(role, content))
    return messages
