"""Grading outputs: deterministic checks first (rubrics, judges and people build on them)."""
