"""Other tools' eval suites as fieldeval suites: promptfoo, OpenAI Evals, Inspect AI, DeepEval.

Each importer reads its tool's files and returns an `ImportResult`: the suite, the dataset
rows, what was carried over and what was not (with the reason). Nothing is dropped silently:
whatever has no fieldeval equivalent is listed, in the result and atop the written suite.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from fieldeval.errors import UserError
from fieldeval.importers.common import (
    DATA_FILE,
    SUITE_FILE,
    ImportResult,
    NotCarried,
    check_suite,
    render_rows,
    render_suite,
    write_files,
)

__all__ = ["KINDS", "ImportResult", "NotCarried", "import_suite", "write_import"]


def _importers() -> dict[str, Callable[[Path], ImportResult]]:
    from fieldeval.importers.deepeval import import_deepeval
    from fieldeval.importers.inspect_ai import import_inspect
    from fieldeval.importers.openai_evals import import_openai_evals
    from fieldeval.importers.promptfoo import import_promptfoo

    return {
        "promptfoo": import_promptfoo,
        "openai-evals": import_openai_evals,
        "inspect": import_inspect,
        "deepeval": import_deepeval,
    }


KINDS = ("promptfoo", "openai-evals", "inspect", "deepeval")


def import_suite(kind: str, source: Path, out_dir: Path | None = None) -> ImportResult:
    """Read `source` (a file or folder) as `kind`; with `out_dir`, write the suite and data.

    Writing refuses to overwrite; use `write_import(..., force=True)` for that.
    """
    importers = _importers()
    if kind not in importers:
        raise UserError(f"unknown import kind {kind!r}", hint=f"use one of: {', '.join(KINDS)}")
    result = importers[kind](Path(source))
    check_suite(result)
    if out_dir is not None:
        write_import(result, Path(out_dir), force=False)
    return result


def write_import(result: ImportResult, out_dir: Path, *, force: bool) -> Path:
    """Write `suite.yaml` and its data file into `out_dir`; returns the suite's path."""
    suite_path = out_dir / SUITE_FILE
    write_files(
        {out_dir / DATA_FILE: render_rows(result.rows), suite_path: render_suite(result)},
        force=force,
    )
    return suite_path
