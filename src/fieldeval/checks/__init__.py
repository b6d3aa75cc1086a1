"""Grading outputs: deterministic checks first (rubrics, judges and people build on them)."""

from fieldeval.checks.check import CompiledCheck
from fieldeval.checks.compiler import compile_checks, render_templates, run_checks
from fieldeval.checks.length import count_sentences, count_words
from fieldeval.checks.text import normalize
from fieldeval.records.check_result import CheckResult

__all__ = [
    "CheckResult",
    "CompiledCheck",
    "compile_checks",
    "count_sentences",
    "count_words",
    "normalize",
    "render_templates",
    "run_checks",
]
