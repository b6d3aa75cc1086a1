"""The compiled check: what every check type becomes once its suite is loaded.

A spec from the suite file is compiled once (regexes, schemas, imports); the compiled check
is then called on each output, so nothing is parsed or imported per call.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from typing import Protocol

from jinja2 import Environment, TemplateSyntaxError

from fieldeval.errors import SuiteError
from fieldeval.records.check_result import CheckResult
from fieldeval.records.example import Example
from fieldeval.suite.scope import AppliesTo
from fieldeval.suite.template import render


class CompiledCheck(Protocol):
    """A check ready to grade outputs."""

    @property
    def id(self) -> str: ...

    def applies_to(self, candidate_id: str) -> bool:
        """Whether this check grades the outputs of that candidate."""
        ...

    def __call__(self, output: str, example: Example) -> CheckResult: ...


@dataclass(frozen=True, slots=True, kw_only=True)
class Check:
    """What every check type shares: its id and the candidates it is limited to."""

    id: str
    only: frozenset[str] = frozenset()  # candidate ids; empty means all

    def applies_to(self, candidate_id: str) -> bool:
        return not self.only or candidate_id in self.only

    def result(self, passed: bool, reason: str, score: float | None = None) -> CheckResult:
        return CheckResult(self.id, passed, reason, score)

    @property
    def templated(self) -> bool:
        """Some argument is a template over the example's fields (rendered per example)."""
        return False


Value = Callable[[Example], str]
"""A string argument, resolved for one example."""


def is_template(source: str) -> bool:
    return "{{" in source or "{%" in source


def template(source: str, *, check_id: str) -> Value:
    """A string argument as a Jinja2 template over the example's fields.

    Plain strings skip Jinja entirely; templates are syntax-checked now, so a typo fails
    when the suite loads rather than at the first output.
    """
    if not is_template(source):
        return lambda example: source
    try:
        Environment().parse(source)
    except TemplateSyntaxError as error:
        raise SuiteError(
            f"check {check_id!r}: template {source[:60]!r} does not parse: {error}",
            hint="check the {{ }} and {% %} pairs",
        ) from error

    def rendered(example: Example) -> str:
        where = f"check {check_id!r} on example {example.source or example.id}"
        return render(source, example.fields, where=where)

    rendered.templated = True  # type: ignore[attr-defined]
    return rendered


def any_templated(values: Iterable[Value]) -> bool:
    """Whether one of these arguments is a template, not a plain string."""
    return any(getattr(value, "templated", False) for value in values)


def quote(text: str, limit: int = 60) -> str:
    """`text` as a repr short enough for a reason."""
    if len(text) > limit:
        return repr(text[:limit]) + "…"
    return repr(text)


@dataclass(frozen=True, slots=True)
class ScopedCheck:
    """A check limited to the examples whose slice values its `applies_to` names, or one
    that is metric-only (its results do not decide the pass)."""

    inner: CompiledCheck
    scope: AppliesTo
    decides: bool = True

    @property
    def id(self) -> str:
        return self.inner.id

    @property
    def templated(self) -> bool:
        return bool(getattr(self.inner, "templated", False))

    def applies_to(self, candidate_id: str) -> bool:
        return self.inner.applies_to(candidate_id)

    def covers(self, example: Example) -> bool:
        return self.scope.covers_slices(example.slices)

    def __call__(self, output: str, example: Example) -> CheckResult:
        found = self.inner(output, example)
        return found if self.decides else replace(found, decides=False)
