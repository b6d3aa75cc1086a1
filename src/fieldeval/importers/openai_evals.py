"""An OpenAI Evals registry entry (alias -> spec -> class + samples JSONL) as a suite."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from fieldeval.errors import DataError, SuiteError
from fieldeval.importers.common import (
    DATA_FILE,
    PLACEHOLDER_CANDIDATE,
    ImportResult,
    check_messages,
    last_user_text,
    pick_file,
    read_jsonl,
    read_yaml,
    slug,
)
from fieldeval.importers.inspect_ai import AGREES


def import_openai_evals(source: Path) -> ImportResult:
    """Read a registry YAML (a file, or a folder holding one) and its samples JSONL."""
    path = pick_file(source, (), (".yaml", ".yml"), "openai-evals")
    registry = read_yaml(path)
    if not isinstance(registry, dict) or not registry:
        raise SuiteError(f"{path}: an OpenAI Evals registry file is a mapping of eval entries")
    result = ImportResult("openai-evals", path, {}, [])
    name, alias, spec_id, spec = _entry(registry, path, result)
    class_path = str(spec.get("class", ""))
    args = spec.get("args") or {}
    samples = _samples_path(path, args.get("samples_jsonl"))
    _rows(samples, result)
    chat = "messages" in result.rows[0]
    suite: dict[str, Any] = {
        "version": 1,
        "task": {
            "name": slug(name),
            "description": alias.get("description") or f"The OpenAI Evals eval {name}.",
            "prompt": {"conversation": "messages"} if chat else "{{ input }}",
        },
        "dataset": {
            "path": DATA_FILE,
            "format": "jsonl",  # not "auto": a `messages` field would be read as a chat log
            "id": "id",
            "input": "input",
            "reference": "ideal",
        },
        "candidates": [dict(PLACEHOLDER_CANDIDATE)],
    }
    result.carried.append(f"{name} -> {spec_id} ({class_path})")
    result.carried.append(f"{len(result.rows)} samples from {samples.name} -> {DATA_FILE}")
    result.carried.append("ideal -> reference (field `ideal`)")
    if chat:
        result.carried.append("chat-message inputs -> field `messages`, prompt.conversation")
    result.carried.append("the eval names no model: added candidate local-gemma (bundled model)")
    _grading(class_path, suite, result)
    if alias.get("metrics"):
        result.carried.append(f"metrics {alias['metrics']} -> the pass rate of the checks")
    for key in args:
        if key != "samples_jsonl":
            result.skip(f"args.{key}", "no equivalent suite setting")
    result.suite = suite
    return result


def _entry(
    registry: dict[str, Any], path: Path, result: ImportResult
) -> tuple[str, dict[str, Any], str, dict[str, Any]]:
    """The first eval alias in the file and the versioned spec it points to."""
    aliases = [k for k, v in registry.items() if isinstance(v, dict) and "id" in v]
    if not aliases:
        specs = [k for k, v in registry.items() if isinstance(v, dict) and "class" in v]
        if not specs:
            raise SuiteError(
                f"{path}: no eval entry (a key with `id:`) or spec (a key with `class:`)",
                hint="pass a registry file from evals/registry/evals/",
            )
        aliases = specs
        registry = {**registry, specs[0]: {"id": specs[0], **registry[specs[0]]}}
    for other in aliases[1:]:
        result.skip(f"eval {other}", "one eval per suite: import its entry on its own")
    name = aliases[0]
    alias = registry[name]
    spec_id = str(alias["id"])
    spec = registry.get(spec_id)
    if not isinstance(spec, dict) or "class" not in spec:
        raise SuiteError(
            f"{path}: eval {name!r} points to {spec_id!r}, which the file does not define",
            hint="the versioned spec (with `class:` and `args:`) must be in the same file",
        )
    return name, alias, spec_id, spec


def _samples_path(path: Path, named: Any) -> Path:
    if not isinstance(named, str):
        raise SuiteError(
            f"{path}: the spec has no `args.samples_jsonl`", hint="name the samples file"
        )
    # Registry paths are relative to evals/registry/data/; a copy often sits beside the YAML.
    tries = [
        path.parent / named,
        path.parent / Path(named).name,
        path.parent.parent / "data" / named,
    ]
    for candidate in tries:
        if candidate.is_file():
            return candidate
    raise DataError(
        f"{path}: samples file {named!r} not found",
        hint=f"looked in {', '.join(str(t) for t in tries)}; put it beside the YAML",
    )


def _rows(samples: Path, result: ImportResult) -> None:
    records = read_jsonl(samples)
    chat = any(isinstance(sample.get("input"), list) for _, sample in records)
    for line, sample in records:
        where = f"{samples.name}:{line}"
        value = sample.get("input")
        row: dict[str, Any] = {"id": f"{samples.stem}-{len(result.rows) + 1}"}
        if chat:
            messages = check_messages(
                value if isinstance(value, list) else [{"role": "user", "content": value}],
                f"{where}: input",
            )
            row["input"] = last_user_text(messages)
            row["messages"] = messages
        elif isinstance(value, str):
            row["input"] = value
        else:
            raise DataError(f"{where}: `input` is missing or not a string or message list")
        ideal = sample.get("ideal")
        if isinstance(ideal, str):
            row["ideal"] = ideal
        elif isinstance(ideal, list) and ideal and all(isinstance(i, str) for i in ideal):
            row["ideal"] = ideal[0] if len(ideal) == 1 else ideal
        else:
            raise DataError(f"{where}: `ideal` is missing or not a string or list of strings")
        for key, extra in sample.items():
            if key not in ("input", "ideal"):
                row[key if key not in row else f"sample_{key}"] = extra
        result.rows.append(row)


def _grading(class_path: str, suite: dict[str, Any], result: ImportResult) -> None:
    """The eval class as checks against `ideal`, or a criterion, or a reason."""
    kind = class_path.rsplit(":", 1)[-1]
    lists = any(isinstance(row["ideal"], list) for row in result.rows)
    if lists and kind in ("Match", "Includes"):
        # Several ideals: any may match, so each row gets a regex of the alternatives.
        for row in result.rows:
            options = row["ideal"] if isinstance(row["ideal"], list) else [row["ideal"]]
            body = "|".join(re.escape(o) for o in options)
            row["ideal_pattern"] = ("^\\s*" if kind == "Match" else "") + f"(?:{body})"
        suite["checks"] = [{"regex": "{{ ideal_pattern }}", "id": kind.lower()}]
        result.carried.append(f"{kind} with several ideals -> regex check over `ideal_pattern`")
        return
    if kind == "Match":
        # Match passes when the answer starts with an ideal (case-sensitive).
        suite["checks"] = [{"starts_with": "{{ ideal }}", "id": "match"}]
        result.carried.append("Match -> check match (`starts_with: {{ ideal }}`)")
    elif kind == "Includes":
        suite["checks"] = [{"contains": "{{ ideal }}", "id": "includes"}]
        result.carried.append("Includes -> check includes (`contains: {{ ideal }}`)")
    else:
        suite["rubric"] = [{"id": "agrees-with-reference", "question": AGREES}]
        suite["judge"] = {"candidate": PLACEHOLDER_CANDIDATE["id"]}
        why = (
            "fieldeval has no fuzzy-match or F1 check"
            if kind == "FuzzyMatch"
            else "the model-graded spec (its prompt and choice scores) lives in the registry's"
            " modelgraded/ files"
            if "modelgraded" in class_path
            else "an eval class is Python code fieldeval cannot run"
        )
        result.skip(
            f"class {class_path}",
            f"{why}; approximated by criterion agrees-with-reference, graded by the judge",
        )
