"""A run's results, one row per output, as JSON Lines, CSV or a pandas DataFrame.

Columns are listed in docs/integrations.md. API keys never reach the store, so they cannot
reach an export. CSV cells that a spreadsheet would run as a formula are neutralised.
"""

from __future__ import annotations

import csv
import io
import json
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TextIO

from fieldeval.errors import ConfigError, UserError
from fieldeval.failures.labels import label_outputs
from fieldeval.files import write_atomically
from fieldeval.records.run import OutputKey, RunInfo, StoredOutput
from fieldeval.results.rubric import current, human_verdicts, judge_verdicts
from fieldeval.store.edge_store import EdgeStore
from fieldeval.store.grade_store import GradeStore
from fieldeval.store.store import Store
from fieldeval.suite.schema import Suite

if TYPE_CHECKING:
    import pandas

Format = Literal["jsonl", "csv"]
FORMATS: tuple[Format, ...] = ("jsonl", "csv")
PANDAS_HINT = "pip install 'fieldeval[pandas]'"

BASE_COLUMNS = (
    "run_id",
    "candidate",
    "example_id",
    "repeat",
    "input",
    "reference",
    "output",
    "passed",
    "error_kind",
    "error_message",
    "finish_reason",
    "input_tokens",
    "output_tokens",
    "cached_input_tokens",
    "reasoning_tokens",
    "usage_estimated",
    "latency_ms",
    "ttft_ms",
    "from_cache",
    "attempts",
)
# With edge cases: what each variant is (its generator, original, expectation) and how its
# reply was graded; on a clean original, its over-refusal check when the judge made one.
EDGE_COLUMNS = (
    "edge:generator",
    "edge:of",
    "edge:expect",
    "edge:outcome",
    "edge:class",
    "edge:oracle",
    "edge:reason",
)
# A spreadsheet runs a cell starting with one of these as a formula (CSV injection);
# tab and carriage return are included because some spreadsheets strip them first.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class ResultTable:
    """A run's outputs as rows keyed by column name, the columns in a fixed order."""

    run: RunInfo
    columns: tuple[str, ...]
    rows: tuple[dict[str, Any], ...]


def result_table(store: Store, run_id: str) -> ResultTable:
    """Every output of the run with its checks, rubric verdicts, failure modes and slices."""
    run = store.run(run_id)
    suite = Suite.model_validate(run.suite)  # the suite as it stood when the run was made
    outputs = store.outputs(run.id)
    examples = {example.id: example for example in store.examples(run.dataset_hash)}
    grade_store = GradeStore(store)
    grades = current(grade_store.grades(run.id), suite.rubric)
    modes = {
        OutputKey.of(o): sorted(o.modes)
        for o in label_outputs(suite, outputs, examples, grades, grade_store.failure_labels(run.id))
    }
    check_ids = _check_ids(suite, outputs)
    verdicts = {
        criterion.id: (human_verdicts(grades, criterion), judge_verdicts(grades, criterion))
        for criterion in suite.rubric
    }
    columns = [*BASE_COLUMNS]
    for check_id in check_ids:
        columns += [f"check:{check_id}", f"check:{check_id}:reason"]
    for criterion_id in verdicts:
        columns += [f"criterion:{criterion_id}:people", f"criterion:{criterion_id}:judge"]
    columns.append("failure_modes")
    columns += [f"slice:{name}" for name in suite.dataset.slices]
    edge_outcomes = {
        (o.candidate_id, o.example_id, o.repeat): o for o in EdgeStore(store).outcomes(run.id)
    }
    with_edges = bool(edge_outcomes) or any("edge_of" in e.fields for e in examples.values())
    if with_edges:
        columns += EDGE_COLUMNS

    rows: list[dict[str, Any]] = []
    for output in outputs:
        key = OutputKey.of(output)
        example = examples.get(output.example_id)
        row = _base_row(run.id, output)
        row["input"] = example.input if example else None
        row["reference"] = example.reference if example else None
        results = {check.check_id: check for check in output.checks}
        for check_id in check_ids:
            found = results.get(check_id)
            row[f"check:{check_id}"] = found.passed if found else None
            row[f"check:{check_id}:reason"] = found.reason if found else None
        for criterion_id, (people, judge) in verdicts.items():
            row[f"criterion:{criterion_id}:people"] = people.get(key)
            row[f"criterion:{criterion_id}:judge"] = judge.get(key)
        row["failure_modes"] = modes.get(key, [])
        slices = (example.slices if example else None) or {}
        for name in suite.dataset.slices:
            row[f"slice:{name}"] = slices.get(name)
        if with_edges:
            fields = example.fields if example else {}
            graded = edge_outcomes.get((output.candidate_id, output.example_id, output.repeat))
            row["edge:generator"] = fields.get("edge")
            row["edge:of"] = fields.get("edge_of")
            row["edge:expect"] = fields.get("edge_expect")
            row["edge:outcome"] = graded.outcome if graded else None
            row["edge:class"] = graded.kind if graded else None
            row["edge:oracle"] = graded.oracle if graded else None
            row["edge:reason"] = graded.reason if graded else None
        rows.append(row)
    return ResultTable(run=run, columns=tuple(columns), rows=tuple(rows))


def _check_ids(suite: Suite, outputs: Iterable[StoredOutput]) -> list[str]:
    """The suite's checks in its order, then any others the outputs carry."""
    ids = [str(check.id) for check in suite.checks]
    for output in outputs:
        ids += [c.check_id for c in output.checks if c.check_id not in ids]
    return ids


def _base_row(run_id: str, output: StoredOutput) -> dict[str, Any]:
    return {
        "run_id": run_id,
        "candidate": output.candidate_id,
        "example_id": output.example_id,
        "repeat": output.repeat,
        "input": None,
        "reference": None,
        "output": output.text,
        "passed": output.passed,
        "error_kind": output.error_kind,
        "error_message": output.error_message,
        "finish_reason": output.finish_reason,
        "input_tokens": output.input_tokens,
        "output_tokens": output.output_tokens,
        "cached_input_tokens": output.cached_input_tokens,
        "reasoning_tokens": output.reasoning_tokens,
        "usage_estimated": output.usage_estimated,
        "latency_ms": output.latency_ms,
        "ttft_ms": output.ttft_ms,
        "from_cache": output.from_cache,
        "attempts": output.attempts,
    }


# -- writing --------------------------------------------------------------------------------


def write_jsonl(table: ResultTable, out: TextIO) -> None:
    """One JSON object per output, keys in column order; lists stay lists."""
    for row in table.rows:
        record = {column: row.get(column) for column in table.columns}
        out.write(json.dumps(record, ensure_ascii=False, allow_nan=False) + "\n")


def write_csv(table: ResultTable, out: TextIO) -> None:
    """A flat table: true/false for booleans, empty for none, failure modes joined by ';'."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([csv_cell(column) for column in table.columns])
    for row in table.rows:
        writer.writerow([csv_cell(row.get(column)) for column in table.columns])


def csv_cell(value: Any) -> str:
    """A value as a CSV cell; text a spreadsheet would run as a formula gets a leading `'`."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        value = ";".join(str(item) for item in value)
    if isinstance(value, int | float):
        return repr(value) if isinstance(value, float) else str(value)
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def render(table: ResultTable, fmt: Format) -> str:
    buffer = io.StringIO()
    (write_csv if fmt == "csv" else write_jsonl)(table, buffer)
    return buffer.getvalue()


def export_run(store: Store, run_id: str, *, fmt: Format, out: Path | None) -> ResultTable:
    """Write the run's results to `out` (temp file, then rename), or to stdout when None."""
    if fmt not in FORMATS:
        raise UserError(f"unknown export format {fmt!r}", hint="use jsonl or csv")
    table = result_table(store, run_id)
    text = render(table, fmt)
    if out is None:
        sys.stdout.write(text)
        sys.stdout.flush()
    else:
        write_atomically(out, text)
    return table


# -- pandas ---------------------------------------------------------------------------------


def load_run(
    run_id: str | None = None, *, db: str | None = None, suite: str | Path | None = None
) -> pandas.DataFrame:
    """A run's results as a pandas DataFrame, one row per output (the export's columns).

    Without `run_id`, the latest run: of the suite at `suite` if given, else of any suite.
    `db` is a store URL or SQLite path (default: .fieldeval/fieldeval.db).
    """
    try:
        import pandas
    except ImportError:
        raise ConfigError(
            "fieldeval.load_run needs pandas, which is not installed", hint=PANDAS_HINT
        ) from None
    store = Store.open(db)
    try:
        table = result_table(store, _pick_run(store, run_id, suite))
    finally:
        store.close()
    return pandas.DataFrame(list(table.rows), columns=list(table.columns))


def _pick_run(store: Store, run_id: str | None, suite: str | Path | None) -> str:
    if run_id is not None:
        return run_id
    name = None
    if suite is not None:
        from fieldeval.suite.loader import load_suite

        name = load_suite(Path(suite)).suite.task.name
    latest = store.runs(suite_name=name, limit=1)
    if not latest:
        where = f" of suite {name!r}" if name else ""
        raise UserError(f"no stored run{where} in {store.url}", hint="run `fieldeval run` first")
    return latest[0].id
