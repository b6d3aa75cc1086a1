"""The language check: the output is in one of the expected languages, detected offline.

Detection uses py3langid's bundled model, loaded on the first call (about a second), so
suites without a language check never pay for it. Very short outputs detect poorly; the
reason gives the confidence so a doubtful verdict shows as one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import Any

from fieldeval.checks.check import Check, Value, any_templated
from fieldeval.errors import SuiteError
from fieldeval.records.check_result import CheckResult
from fieldeval.records.example import Example

_CODE = re.compile(r"[a-z]{2,3}")


@cache
def _identifier() -> Any:
    # imported here, once: numpy and the model are heavy and most suites never need them
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


@cache
def _known_codes() -> frozenset[str]:
    return frozenset(_identifier().labels)


def detect(text: str) -> tuple[str, float]:
    """The most likely ISO 639-1 code for `text` and its probability."""
    code, confidence = _identifier().classify(text)
    return str(code), float(confidence)


def check_code(code: str, *, check_id: str) -> None:
    """Reject what cannot be a language code before any output is graded."""
    if not _CODE.fullmatch(code):
        raise SuiteError(
            f"check {check_id!r}: {code!r} is not a language code",
            hint="use ISO 639-1 codes such as en, fr, de, pt",
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class LanguageCheck(Check):
    """The detected language is one of `languages`; the score is the detector's confidence."""

    languages: tuple[Value, ...]

    @property
    def templated(self) -> bool:
        return any_templated(self.languages)

    def __call__(self, output: str, example: Example) -> CheckResult:
        expected = [language(example).strip().lower() for language in self.languages]
        unknown = [code for code in expected if code not in _known_codes()]
        if unknown:
            raise SuiteError(
                f"check {self.id!r}: the detector does not know language {unknown[0]!r}",
                hint="use ISO 639-1 codes such as en, fr, de, pt",
            )
        if not output.strip():
            return self.result(False, "empty output")
        code, confidence = detect(output)
        reason = f"detected {code} ({confidence:.2f})"
        if code in expected:
            return self.result(True, reason, confidence)
        return self.result(False, f"{reason}, expected {' or '.join(expected)}", confidence)
