"""Turning the suite's check specs into compiled checks, and running them on an output."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

from fieldeval.checks.check import CompiledCheck, ScopedCheck, is_template, template
from fieldeval.checks.custom import PythonCheck, load_function
from fieldeval.checks.language import LanguageCheck, check_code
from fieldeval.checks.length import CHARS, SENTENCES, WORDS, LengthCheck, Unit
from fieldeval.checks.structured import IsJsonCheck, JsonSchemaCheck, load_validator
from fieldeval.checks.text import (
    ContainsCheck,
    EqualsCheck,
    Mode,
    RegexCheck,
    StartsWithCheck,
)
from fieldeval.records.check_result import CheckResult
from fieldeval.records.example import Example
from fieldeval.suite import checks as spec
from fieldeval.suite.plugins import check_plugins

_LENGTHS: dict[type[spec.CheckBase], tuple[Unit, bool]] = {
    spec.MaxWords: (WORDS, True),
    spec.MinWords: (WORDS, False),
    spec.MaxSentences: (SENTENCES, True),
    spec.MinSentences: (SENTENCES, False),
    spec.MaxChars: (CHARS, True),
    spec.MinChars: (CHARS, False),
}

_MODES: dict[type[spec.CheckBase], Mode] = {
    spec.Contains: "all",
    spec.ContainsAll: "all",
    spec.ContainsAny: "any",
    spec.NotContains: "none",
}


def compile_checks(specs: Sequence[spec.CheckBase], *, base_dir: Path) -> list[CompiledCheck]:
    """Compile every spec once: regexes, schemas (relative to `base_dir`) and imports.

    Checks without an id get their type as one, made unique. Raises `SuiteError` naming the
    check for a regex that does not compile, a schema that is missing or invalid, or a
    Python check that cannot be imported.
    """
    compiled: list[CompiledCheck] = []
    for one in spec.with_unique_ids(tuple(specs)):
        check = _compile(one, base_dir)
        scoped = one.applies_to.slices or one.metric_only
        compiled.append(
            ScopedCheck(check, one.applies_to, not one.metric_only) if scoped else check
        )
    return compiled


def run_checks(
    checks: Sequence[CompiledCheck], output: str, example: Example, candidate_id: str
) -> list[CheckResult]:
    """The results of the checks that apply to this candidate (and, for a check limited to
    slice values, to this example), in suite order."""
    return [
        check(output, example)
        for check in checks
        if check.applies_to(candidate_id)
        and (not isinstance(check, ScopedCheck) or check.covers(example))
    ]


def render_templates(checks: Sequence[CompiledCheck], examples: Iterable[Example]) -> None:
    """Render every templated check argument on every example, as a run will, before any
    call is paid for: a template that fails raises its `SuiteError` now."""
    templated = [check for check in checks if getattr(check, "templated", False)]
    if not templated:
        return
    for example in examples:
        for check in templated:
            check("", example)  # renders (and compiles a templated regex); the result is unused


def _compile(one: spec.CheckBase, base_dir: Path) -> CompiledCheck:
    check_id = str(one.id)  # set by with_unique_ids
    only = frozenset(one.applies_to.candidates)
    match one:
        case (
            spec.MaxWords()
            | spec.MinWords()
            | spec.MaxSentences()
            | spec.MinSentences()
            | spec.MaxChars()
            | spec.MinChars()
        ):
            unit, at_most = _LENGTHS[type(one)]
            return LengthCheck(id=check_id, only=only, unit=unit, limit=one.value, at_most=at_most)
        case spec.Contains() | spec.ContainsAll() | spec.ContainsAny() | spec.NotContains():
            needles = tuple(template(text, check_id=check_id) for text in one.value)
            return ContainsCheck(
                id=check_id,
                only=only,
                needles=needles,
                mode=_MODES[type(one)],
                ignore_case=one.ignore_case,
            )
        case spec.Regex() | spec.NotRegex():
            return RegexCheck.build(
                one.value,
                id=check_id,
                only=only,
                ignore_case=one.ignore_case,
                negate=isinstance(one, spec.NotRegex),
            )
        case spec.Equals():
            expected = template(one.value, check_id=check_id)
            return EqualsCheck(id=check_id, only=only, expected=expected, field=one.field)
        case spec.StartsWith():
            prefix = template(one.value, check_id=check_id)
            return StartsWithCheck(
                id=check_id, only=only, prefix=prefix, ignore_case=one.ignore_case
            )
        case spec.IsJson():
            return IsJsonCheck(id=check_id, only=only)
        case spec.JsonSchema():
            validator = load_validator(one.value, base_dir=base_dir, check_id=check_id)
            return JsonSchemaCheck(id=check_id, only=only, validator=validator)
        case spec.Language():
            for code in one.value:
                if not is_template(code):
                    check_code(code, check_id=check_id)
            languages = tuple(template(code, check_id=check_id) for code in one.value)
            return LanguageCheck(id=check_id, only=only, languages=languages)
        case spec.PythonCheck():
            function = load_function(one.value, base_dir=base_dir, check_id=check_id)
            return PythonCheck(id=check_id, only=only, function=function, name=one.value)
    for plugin in check_plugins():
        if plugin.name == one.type:
            compiled: CompiledCheck = plugin.value.compile(
                one, check_id=check_id, only=only, base_dir=base_dir
            )
            return compiled
    raise TypeError(f"no compiler for check type {type(one).__name__}")
