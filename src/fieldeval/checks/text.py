"""Text checks: substrings, regular expressions, exact answers and openings."""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from fieldeval.checks.check import Check, Value, any_templated, is_template, quote, template
from fieldeval.checks.structured import parse_json
from fieldeval.errors import SuiteError
from fieldeval.records.check_result import CheckResult
from fieldeval.records.example import Example


def normalize(text: str) -> str:
    """The form `equals` compares: NFKC, casefolded, whitespace collapsed, and surrounding
    whitespace, punctuation and quotes stripped.
    """
    # NFKC again after casefold: casefolding can leave text that NFKC would recompose
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", text).casefold())
    return " ".join(_strip_edges(folded).split())


def _strip_edges(text: str) -> str:
    start, end = 0, len(text)
    while start < end and _is_edge(text[start]):
        start += 1
    while end > start and _is_edge(text[end - 1]):
        end -= 1
    return text[start:end]


def _is_edge(char: str) -> bool:
    # category P* covers . , ! ? and every quote mark; the backtick is a symbol (Sk)
    return char.isspace() or char == "`" or unicodedata.category(char).startswith("P")


Mode = Literal["all", "any", "none"]


@dataclass(frozen=True, slots=True, kw_only=True)
class ContainsCheck(Check):
    """All (`contains`, `contains_all`), any (`contains_any`) or none (`not_contains`)
    of the strings appear in the output.
    """

    needles: tuple[Value, ...]
    mode: Mode
    ignore_case: bool = False

    @property
    def templated(self) -> bool:
        return any_templated(self.needles)

    def __call__(self, output: str, example: Example) -> CheckResult:
        needles = [needle(example) for needle in self.needles]
        haystack = output.casefold() if self.ignore_case else output
        hits = [(n.casefold() if self.ignore_case else n) in haystack for n in needles]
        found = [n for n, hit in zip(needles, hits, strict=True) if hit]
        missing = [n for n, hit in zip(needles, hits, strict=True) if not hit]
        if self.mode == "all":
            if missing:
                return self.result(False, f"missing {_listed(missing)}")
            return self.result(True, f"contains {_listed(needles)}")
        if self.mode == "any":
            if found:
                return self.result(True, f"contains {_listed(found)}")
            return self.result(False, f"none of {_listed(needles)} found")
        if found:
            return self.result(False, f"contains {_listed(found)}")
        return self.result(True, f"none of {_listed(needles)} found")


def _listed(texts: list[str]) -> str:
    return ", ".join(quote(text) for text in texts)


@dataclass(frozen=True, slots=True, kw_only=True)
class RegexCheck(Check):
    """The pattern is found (`regex`) or not found (`not_regex`) by `re.search`."""

    pattern: Value
    compiled: re.Pattern[str] | None  # None when the pattern is a template
    flags: int
    negate: bool

    @classmethod
    def build(
        cls, source: str, *, id: str, only: frozenset[str], ignore_case: bool, negate: bool
    ) -> RegexCheck:
        """Compile a plain pattern now; a templated one is compiled per rendered pattern."""
        flags = re.IGNORECASE if ignore_case else 0
        compiled = None if is_template(source) else _compile(source, flags, id)
        pattern = template(source, check_id=id)
        return cls(id=id, only=only, pattern=pattern, compiled=compiled, flags=flags, negate=negate)

    @property
    def templated(self) -> bool:
        return self.compiled is None

    def __call__(self, output: str, example: Example) -> CheckResult:
        compiled = self.compiled or _compile(self.pattern(example), self.flags, self.id)
        match = compiled.search(output)
        if match is None:
            return self.result(self.negate, f"no match for {quote(compiled.pattern)}")
        return self.result(not self.negate, f"matched {quote(match[0])} at {match.start()}")


@lru_cache(maxsize=1024)  # templated patterns repeat across examples
def _compile(pattern: str, flags: int, check_id: str) -> re.Pattern[str]:
    try:
        return re.compile(pattern, flags)
    except re.error as error:
        raise SuiteError(
            f"check {check_id!r}: regex {quote(pattern)} does not compile: {error}",
            hint="regexes follow Python's `re` syntax; in YAML, single-quote them",
        ) from error


@dataclass(frozen=True, slots=True, kw_only=True)
class EqualsCheck(Check):
    """The output (or, with `field`, that field of its JSON object) equals the expected text
    once both are normalised (see `normalize`)."""

    expected: Value
    field: str | None = None

    @property
    def templated(self) -> bool:
        return any_templated((self.expected,))

    def __call__(self, output: str, example: Example) -> CheckResult:
        expected = self.expected(example)
        if self.field is not None:
            parsed = parse_json(output)
            if parsed.error is not None:
                return self.result(False, parsed.error)
            document = parsed.document
            if not isinstance(document, dict) or self.field not in document:
                return self.result(False, f"the JSON has no field {quote(self.field)}")
            value = document[self.field]
            output = value if isinstance(value, str) else json.dumps(value)
        if normalize(output) == normalize(expected):
            return self.result(True, f"equals {quote(expected)}")
        return self.result(False, f"expected {quote(expected)}, got {quote(output)}")


@dataclass(frozen=True, slots=True, kw_only=True)
class StartsWithCheck(Check):
    """The output, leading whitespace stripped, starts with the text."""

    prefix: Value
    ignore_case: bool = False

    @property
    def templated(self) -> bool:
        return any_templated((self.prefix,))

    def __call__(self, output: str, example: Example) -> CheckResult:
        prefix, text = self.prefix(example), output.lstrip()
        if self.ignore_case:
            passed = text.casefold().startswith(prefix.casefold())
        else:
            passed = text.startswith(prefix)
        if passed:
            return self.result(True, f"starts with {quote(prefix)}")
        opening = text[: max(len(prefix), 1) + 10]
        return self.result(False, f"starts with {quote(opening)}, not {quote(prefix)}")
