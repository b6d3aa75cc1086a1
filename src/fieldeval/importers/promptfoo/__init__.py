"""A promptfoo config (prompts, providers, tests, asserts) as a fieldeval suite."""

from fieldeval.importers.promptfoo.importer import import_promptfoo

__all__ = ["import_promptfoo"]
