"""A DeepEval goldens file (CSV or JSON) as a suite."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from fieldeval.errors import DataError
from fieldeval.importers.common import (
    DATA_FILE,
    PLACEHOLDER_CANDIDATE,
    ImportResult,
    free_name,
    pick_file,
    read_csv,
    read_text,
    slug,
)
from fieldeval.importers.inspect_ai import AGREES

_LISTS = ("context", "retrieval_context")
_JSON_CELLS = ("tools_called", "expected_tools", "additional_metadata", "custom_column_key_values")
_REPLAY_ID = "recorded-actual-output"


def import_deepeval(source: Path) -> ImportResult:
    """Read DeepEval goldens (a CSV or JSON file, or a folder holding one)."""
    path = pick_file(source, (), (".csv", ".json"), "deepeval")
    goldens = _read(path)
    result = ImportResult("deepeval", path, {}, [])
    delimiter = _delimiter(goldens) if path.suffix.lower() == ".csv" else None
    for index, (where, golden) in enumerate(goldens):
        result.rows.append(_row(golden, where, index, delimiter))
    fields = list(dict.fromkeys(key for row in result.rows for key in row))
    for row in result.rows:
        for key in fields:
            row.setdefault(key, "")  # the same fields on every row, for templates

    has_reference = any(row.get("expected_output") for row in result.rows)
    replay = any(row.get("actual_output") for row in result.rows)
    dataset: dict[str, Any] = {"path": DATA_FILE, "format": "jsonl", "id": "id", "input": "input"}
    suite: dict[str, Any] = {
        "version": 1,
        "task": {
            "name": slug(path.stem),
            "description": "Answer each input"
            + (" so the answer agrees with the expected output." if has_reference else "."),
            "prompt": "{{ input }}",
        },
        "dataset": dataset,
        "candidates": [],
    }
    result.carried.append(f"{len(result.rows)} goldens -> {DATA_FILE} rows")
    if replay:
        # The app's answers are already in the goldens: grade them as they are.
        suite["candidates"].append(
            {
                "id": _REPLAY_ID,
                "provider": "recorded",
                "path": DATA_FILE,
                "id_field": "id",
                "output_field": "actual_output",
            }
        )
        result.carried.append(
            f"actual_output -> candidate {_REPLAY_ID} (a `recorded` candidate: the app's"
            " answers graded as they are, no model called)"
        )
    else:
        suite["candidates"].append(dict(PLACEHOLDER_CANDIDATE))
        result.carried.append("no actual_output: added candidate local-gemma (bundled model)")
    judge = suite["candidates"][0]["id"] if not replay else None
    if has_reference:
        dataset["reference"] = "expected_output"
        suite["rubric"] = [{"id": "agrees-with-reference", "question": AGREES}]
        result.carried.append("expected_output -> reference; criterion agrees-with-reference")
        if judge is not None:
            suite["judge"] = {"candidate": judge}
    result.skip(
        "metrics",
        "a goldens file names none: DeepEval metrics are chosen in Python code"
        + ("; add checks, and a `judge:` to grade the rubric" if judge is None else ""),
    )
    _report_fields(fields, result, delimiter)
    result.suite = suite
    return result


def _read(path: Path) -> list[tuple[str, dict[str, Any]]]:
    if path.suffix.lower() == ".csv":
        return [(f"{path.name}:{line}", dict(cells)) for line, cells in read_csv(path)]
    try:
        data = json.loads(read_text(path))
    except json.JSONDecodeError as error:
        raise DataError(
            f"{path}:{error.lineno}:{error.colno}: not valid JSON: {error.msg}",
            hint="a goldens JSON file is a list of goldens",
        ) from None
    if isinstance(data, dict):
        data = data.get("goldens", data.get("test_cases"))
    if not isinstance(data, list) or not all(isinstance(g, dict) for g in data) or not data:
        raise DataError(
            f"{path}: expected a non-empty list of goldens (objects with an `input`)",
            hint='e.g. [{"input": "...", "expected_output": "..."}]',
        )
    return [(f"{path.name} goldens[{i}]", golden) for i, golden in enumerate(data)]


def _delimiter(goldens: list[tuple[str, dict[str, Any]]]) -> str:
    # DeepEval's loader takes the list delimiter as an argument: `|` if the file uses it.
    cells = [str(g.get(name, "")) for _, g in goldens for name in _LISTS]
    return "|" if any("|" in cell for cell in cells) else ";"


def _snake(key: str) -> str:
    # Confident AI exports write camelCase (expectedOutput); the library writes snake_case.
    return re.sub(r"(?<!^)(?=[A-Z])", "_", key).lower()


def _row(golden: dict[str, Any], where: str, index: int, delimiter: str | None) -> dict[str, Any]:
    golden = {_snake(k): v for k, v in golden.items()}
    text = golden.get("input")
    if not isinstance(text, str) or not text.strip():
        raise DataError(f"{where}: `input` is missing or empty", hint="every golden needs one")
    row: dict[str, Any] = {"id": f"golden-{index + 1}"}
    taken = {"id"}
    for key, value in golden.items():
        if key in _LISTS and isinstance(value, str) and delimiter is not None:
            value = [part.strip() for part in value.split(delimiter) if part.strip()]
        elif key in _JSON_CELLS and isinstance(value, str):
            value = _json_cell(value, where, key)
        if key in ("additional_metadata", "custom_column_key_values") and isinstance(value, dict):
            reserved = taken | set(golden)  # a metadata key never hides a golden's own
            for name, inner in value.items():
                field = free_name(str(name), reserved)
                taken.add(field)
                row[field] = inner
            continue
        row[free_name(key, taken)] = value
    return row


def _json_cell(cell: str, where: str, column: str) -> Any:
    if not cell.strip():
        return None
    try:
        return json.loads(cell)
    except json.JSONDecodeError as error:
        raise DataError(
            f"{where}: column {column}: not valid JSON: {error.msg} (character {error.pos})",
            hint="the cell holds a JSON array or object; check its quotes and brackets",
        ) from None


def _report_fields(fields: list[str], result: ImportResult, delimiter: str | None) -> None:
    split = f" (split on `{delimiter}`)" if delimiter else ""
    for name in _LISTS:
        if name in fields:
            result.carried.append(f"{name} -> list field `{name}`{split}")
    if "retrieval_context" in fields or "context" in fields:
        result.skip(
            "context, retrieval_context",
            "fieldeval has no RAG metrics (faithfulness, contextual recall); kept as fields"
            " for a prompt or a `python` check",
        )
    tools = [name for name in ("tools_called", "expected_tools") if name in fields]
    if tools:
        result.skip(
            ", ".join(tools),
            "fieldeval does not grade tool calls; kept as JSON fields",
        )
    for name in ("name", "comments", "source_file"):
        if name in fields:
            result.carried.append(f"{name} -> field `{name}`")
