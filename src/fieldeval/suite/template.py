"""Prompt templates: Jinja2 in a sandbox, strict about missing fields, bounded in size.

Dataset text is passed in as variables, never as template source, so a row that contains
`{{ }}` or `{% %}` is sent as written and never evaluated. Templates themselves are the
suite author's code: whatever one raises becomes a `SuiteError` naming it, and the
operations that could take unbounded time or memory (`'a' * 3000000000`, `10 ** 10 ** 10`,
`center(10 ** 9)`, a width of a billion in a format) are refused before they run, as is
any render past `MAX_RENDERED` characters.
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable, Iterator, Mapping
from contextvars import ContextVar
from functools import cache
from typing import Any

from jinja2 import StrictUndefined, TemplateError, UndefinedError
from jinja2.filters import do_center, do_format, do_indent, do_wordwrap
from jinja2.runtime import Context
from jinja2.sandbox import ImmutableSandboxedEnvironment, safe_range

from fieldeval.errors import SuiteError
from fieldeval.records.request import Message
from fieldeval.suite.prompt import Prompt

MAX_RENDERED = 20_000_000  # characters: far past any model's context, far below the memory
MAX_INT_BITS = 100_000  # a number of about 30,000 digits
MAX_WIDTH = 100_000  # a field width or padding in a format, center or indent
MAX_STEPS = 1_000_000  # items all the `range()`s of one render may give: nested loops multiply
_WIDTH = re.compile(r"%[-+ #0*]*(\d+)|%[-+ #0]*\d*\.(\d+)|\{[^{}]*?:[^{}]*?(\d{6,})")


class TemplateFailed(SuiteError):
    """A template of the suite failed on an example; `source` is the template's text."""

    def __init__(self, message: str, *, source: str, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.source = source


class TooLarge(Exception):
    """A template asked for more than a render may take."""


def _check_width(width: object, what: str) -> None:
    if isinstance(width, int) and abs(width) > MAX_WIDTH:
        raise TooLarge(f"{what} of {width:,} is past the limit of {MAX_WIDTH:,}")


def _check_format(spec: object) -> None:
    if isinstance(spec, str):
        for match in _WIDTH.finditer(spec):
            digits = next(group for group in match.groups() if group)
            _check_width(int(digits), "a format width")


def _size(value: object) -> int:
    return len(value) if isinstance(value, str | list | tuple) else 0


def _multiply(left: Any, right: Any) -> Any:
    for sequence, count in ((left, right), (right, left)):
        counted = isinstance(count, int) and not isinstance(count, bool)
        if counted and _size(sequence) * count > MAX_RENDERED:
            raise TooLarge(f"repeating {_size(sequence):,} items {count:,} times is too large")
    return operator.mul(left, right)


def _power(base: Any, exponent: Any) -> Any:
    ints = isinstance(base, int) and isinstance(exponent, int)
    if ints and abs(base) > 1 and exponent > 0 and exponent * math.log2(abs(base)) > MAX_INT_BITS:
        raise TooLarge(f"{base} ** {exponent} is a number too large to compute")
    return operator.pow(base, exponent)


def _modulo(left: Any, right: Any) -> Any:
    _check_format(left)
    return operator.mod(left, right)


_BINOPS: dict[str, Callable[[Any, Any], Any]] = {"*": _multiply, "**": _power, "%": _modulo}


def _bounded(
    function: Callable[..., Any], position: int, name: str, what: str
) -> Callable[..., Any]:
    """`function` refusing a width (its argument `position`, or `name`) past the limit."""

    def checked(*args: Any, **kwargs: Any) -> Any:
        width = kwargs.get(name, args[position] if len(args) > position else None)
        _check_width(width, what)
        return function(*args, **kwargs)

    return checked


_steps: ContextVar[list[int]] = ContextVar("template_steps")


def _counted_range(*args: int) -> Iterator[int]:
    """Jinja's sandboxed `range`, counting what it gives against the render's budget."""
    budget = _steps.get(None)
    for step in safe_range(*args):
        if budget is not None:
            budget[0] -= 1
            if budget[0] < 0:
                raise TooLarge(f"the loops passed the limit of {MAX_STEPS:,} steps")
        yield step


def _format(value: Any, *args: Any, **kwargs: Any) -> Any:
    _check_format(value)
    return do_format(value, *args, **kwargs)


class _Environment(ImmutableSandboxedEnvironment):
    """The sandbox, with the operators and filters that could run away bounded."""

    intercepted_binops = frozenset(_BINOPS)

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        return _BINOPS[operator](left, right)

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        # Jinja wraps `str.format` when the attribute is read, so the format string is
        # checked here: "{:>999999999}".format(1) is refused before it allocates.
        if getattr(value, "__name__", "") in ("format", "format_map"):
            _check_format(getattr(value, "__self__", None))
        return super().wrap_str_format(value)


@cache
def _environment() -> _Environment:
    env = _Environment(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=False)
    env.filters.update(
        center=_bounded(do_center, 1, "width", "a center width"),
        indent=_bounded(do_indent, 1, "width", "an indent"),
        wordwrap=_bounded(do_wordwrap, 2, "width", "a wrap width"),
        format=_format,
    )
    env.globals["range"] = _counted_range
    return env


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
    """Render one template over an example's fields; any failure is a `SuiteError`."""
    quoted = repr(source[:60]) + ("…" if len(source) > 60 else "")
    try:
        return _render(_compile(source), fields)
    except UndefinedError as error:
        known = ", ".join(sorted(fields)) or "(none)"
        raise TemplateFailed(
            f"{where}: template {quoted} uses a field the data does not have: {error.message}",
            hint=f"the example's fields are: {known}",
            source=source,
        ) from error
    except TooLarge as error:
        raise TemplateFailed(
            f"{where}: template {quoted} asks for too much: {error}",
            hint=f"a render may make at most {MAX_RENDERED:,} characters",
            source=source,
        ) from error
    except TemplateError as error:
        raise TemplateFailed(
            f"{where}: template {quoted} failed to render: {error}", source=source
        ) from error
    except Exception as error:
        # The template's own code failed (1/0, a wrong type, `cycler()` with no items, a
        # macro calling itself): the suite author's bug, of any kind, named with its
        # template and its cause, never a traceback.
        raise TemplateFailed(
            f"{where}: template {quoted} raised {type(error).__name__}: {error}",
            hint="fix the expression in the template; `fieldeval validate` renders every one",
            source=source,
        ) from error


def _render(template: Any, fields: Mapping[str, Any]) -> str:
    parts: list[str] = []
    size = 0
    token = _steps.set([MAX_STEPS])
    try:
        for part in template.generate(**fields):
            size += len(part)
            if size > MAX_RENDERED:
                raise TooLarge(f"the rendered text passed the limit of {MAX_RENDERED:,} characters")
            parts.append(part)
    finally:
        _steps.reset(token)
    return "".join(parts)


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
