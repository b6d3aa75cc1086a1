"""An Inspect AI dataset (JSONL samples: input, target, id, choices, metadata) as a suite."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import Any

from fieldeval.errors import DataError
from fieldeval.importers.common import (
    DATA_FILE,
    PLACEHOLDER_CANDIDATE,
    ImportResult,
    check_messages,
    free_name,
    last_user_text,
    pick_file,
    read_jsonl,
    slug,
)

# A classification target: a short label in brackets, e.g. "[claim]" or "[[A]]".
_LABEL = re.compile(r"^\[+[^\[\]\n]{1,40}\]+$")
_SAMPLE_KEYS = frozenset({"input", "target", "id", "choices", "metadata"})
AGREES = "Does the output agree with the reference answer?"


def import_inspect(source: Path) -> ImportResult:
    """Read an Inspect AI JSONL dataset (a file, or a folder holding one)."""
    path = pick_file(source, (), (".jsonl",), "inspect")
    records = read_jsonl(path)
    result = ImportResult("inspect", path, {}, [])
    chat = any(isinstance(sample.get("input"), list) for _, sample in records)
    taken = {"id", "input", "target"} | ({"messages"} if chat else set())
    seen: dict[str, int] = {}
    unused: Counter[str] = Counter()
    choices = 0
    meta_fields: dict[str, str] = {}  # metadata key -> its field, renamed if taken
    for line, sample in records:
        where = f"{path.name}:{line}"
        row = _row(sample, where, chat=chat)
        row["id"] = str(sample.get("id") or f"{path.stem}-{len(result.rows) + 1}")
        if row["id"] in seen:
            raise DataError(
                f"{where}: id {row['id']!r} is also used on line {seen[row['id']]}",
                hint="give every sample its own id",
            )
        seen[row["id"]] = line
        if "choices" in sample:
            row["choices"] = sample["choices"]
            choices += 1
        metadata = sample.get("metadata") or {}
        if not isinstance(metadata, dict):
            raise DataError(f"{where}: `metadata` is not an object")
        for key, value in metadata.items():
            row[meta_fields.setdefault(str(key), free_name(str(key), taken))] = value
        unused.update(key for key in sample if key not in _SAMPLE_KEYS)
        result.rows.append(row)

    result.carried.append(f"{len(result.rows)} samples -> {DATA_FILE} rows")
    if chat:
        result.carried.append("message-list inputs -> field `messages`, prompt.conversation")
    for key, field in meta_fields.items():
        result.carried.append(f"metadata.{key} -> field `{field}`")
    for key, count in unused.items():
        result.skip(f"`{key}` ({count} samples)", "sandboxes, files and setup scripts do not run")
    if choices:
        result.skip(
            f"choices ({choices} samples)",
            "the multiple_choice solver is Inspect code; the choices are kept in field"
            " `choices`: write them into the prompt",
        )
    result.suite = _suite(path, result, chat=chat)
    return result


def _row(sample: dict[str, Any], where: str, *, chat: bool) -> dict[str, Any]:
    value = sample.get("input")
    if isinstance(value, str):
        messages = [{"role": "user", "content": value}]
    elif isinstance(value, list):
        messages = check_messages(value, f"{where}: input")
    else:
        raise DataError(f"{where}: `input` is missing or not a string or message list")
    target = sample.get("target", "")
    if not (
        isinstance(target, str)
        or (isinstance(target, list) and all(isinstance(t, str) for t in target))
    ):
        raise DataError(f"{where}: `target` is not a string or a list of strings")
    row: dict[str, Any] = {"input": last_user_text(messages) if chat else value}
    if chat:
        row["messages"] = messages
    row["target"] = target
    return row


def _suite(path: Path, result: ImportResult, *, chat: bool) -> dict[str, Any]:
    targets = [row["target"] for row in result.rows]
    labels = sorted({t for t in targets if isinstance(t, str) and _LABEL.match(t)})
    classify = bool(targets) and all(isinstance(t, str) and _LABEL.match(t) for t in targets)
    dataset: dict[str, Any] = {
        "path": DATA_FILE,
        "format": "jsonl",  # not "auto": a `messages` field would be read as a chat log
        "id": "id",
        "input": "input",
        "reference": "target",
    }
    suite: dict[str, Any] = {
        "version": 1,
        "task": {"name": slug(path.stem), "description": "", "prompt": ""},
        "dataset": dataset,
        "candidates": [dict(PLACEHOLDER_CANDIDATE)],
    }
    suite["task"]["prompt"] = {"conversation": "messages"} if chat else "{{ input }}"
    result.carried.append("target -> reference (field `target`)")
    result.carried.append(
        "the dataset names no model: added candidate local-gemma (the bundled model)"
    )
    result.skip(
        "solver and scorer",
        "they live in the task's Python code, not in the dataset;"
        + (
            " the bracketed labels are checked with `contains`, as Inspect's includes() does"
            if classify
            else " model_graded_qa is approximated by criterion agrees-with-reference, graded"
            " by the judge"
        ),
    )
    if classify:
        dataset["slices"] = ["target"]
        suite["task"]["description"] = (
            f"Label each input with one of these labels, written as shown: {', '.join(labels)}."
        )
        suite["checks"] = [{"contains": "{{ target }}", "ignore_case": True, "id": "has-label"}]
        result.carried.append(
            f"{len(labels)} bracketed labels -> check has-label (`contains: {{{{ target }}}}`,"
            " ignoring case), sliced by target"
        )
    else:
        suite["task"]["description"] = "Answer each input so the answer agrees with the target."
        suite["rubric"] = [{"id": "agrees-with-reference", "question": AGREES}]
        suite["judge"] = {"candidate": PLACEHOLDER_CANDIDATE["id"]}
        result.carried.append(
            "free-text targets -> criterion agrees-with-reference, judged by local-gemma"
        )
    return suite
