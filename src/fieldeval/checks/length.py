"""Length checks: at most or at least so many words, sentences or characters.

Words are whitespace-separated tokens that hold at least one letter or digit, so a lone
"-" or "—" is not a word. Sentences are the pieces of the text split after `.`, `!` or
`?` (a run of them, optionally followed by closing quotes or brackets) when whitespace or
the end of the text follows; pieces without a letter or digit are not counted, so
"Wait... what?!" is two sentences and "3.5 kg" one. Characters are `len(output)`, as written.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from fieldeval.checks.check import Check
from fieldeval.records.check_result import CheckResult
from fieldeval.records.example import Example

_WORDY = re.compile(r"[^\W_]")  # a letter or a digit, in any script
_SENTENCE_END = re.compile(r"[.!?]+[\"'”’»)\]]*(?=\s|$)")


def count_words(text: str) -> int:
    """Whitespace-separated tokens holding at least one letter or digit."""
    return sum(1 for token in text.split() if _WORDY.search(token))


def count_sentences(text: str) -> int:
    """Pieces ended by `.`, `!` or `?` before whitespace or the end, with a letter or digit."""
    return sum(1 for piece in _SENTENCE_END.split(text) if _WORDY.search(piece))


def count_chars(text: str) -> int:
    return len(text)


@dataclass(frozen=True, slots=True)
class Unit:
    """What a length check counts."""

    singular: str
    plural: str
    count: Callable[[str], int]

    def of(self, n: int) -> str:
        return f"{n} {self.singular if n == 1 else self.plural}"


WORDS = Unit("word", "words", count_words)
SENTENCES = Unit("sentence", "sentences", count_sentences)
CHARS = Unit("char", "chars", count_chars)


@dataclass(frozen=True, slots=True, kw_only=True)
class LengthCheck(Check):
    """At most (`at_most`) or at least `limit` units; the score is the count."""

    unit: Unit
    limit: int
    at_most: bool

    def __call__(self, output: str, example: Example) -> CheckResult:
        n = self.unit.count(output)
        if self.at_most:
            passed, sign = n <= self.limit, ("<=" if n <= self.limit else ">")
        else:
            passed, sign = n >= self.limit, (">=" if n >= self.limit else "<")
        return self.result(passed, f"{self.unit.of(n)} {sign} {self.limit}", float(n))
