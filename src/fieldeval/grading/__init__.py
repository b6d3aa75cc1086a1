"""Grading outputs: deterministic checks first (rubrics, judges and people build on them)."""

from fieldeval.grading.check import CompiledCheck
from fieldeval.grading.compiler import compile_checks, run_checks
from fieldeval.grading.length import count_sentences, count_words
from fieldeval.grading.result import CheckResult
from fieldeval.grading.text import normalize

__all__ = [
    "CheckResult",
    "CompiledCheck",
    "compile_checks",
    "count_sentences",
    "count_words",
    "normalize",
    "run_checks",
]
