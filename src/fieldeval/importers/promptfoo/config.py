"""promptfoo's prompts, providers and test files, read into plain parts for the importer."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fieldeval.errors import DataError, SuiteError
from fieldeval.importers.common import (
    ImportResult,
    read_csv,
    read_jsonl,
    read_text,
    read_yaml,
    slug,
)
from fieldeval.importers.promptfoo.asserts import parse_compact

_PARAMS = (
    "temperature",
    "max_tokens",
    "top_p",
    "seed",
    "stop",
    "max_completion_tokens",
    "response_format",
)


@dataclass(frozen=True)
class PromptItem:
    label: str
    template: Any  # a template string, or chat messages
    config: dict[str, Any] = field(default_factory=dict)  # the prompt's own `config:`

    def params(self, result: ImportResult) -> dict[str, Any]:
        """The prompt's config as candidate params; a key no candidate takes is reported."""
        params = {}
        for key, value in self.config.items():
            if key in _PARAMS:
                params[key] = value
            else:
                result.skip(f"prompt {self.label}: config.{key}", "no equivalent candidate setting")
        return params


def file_ref(value: Any) -> str | None:
    """The path of a `file://` reference, else None."""
    if isinstance(value, str) and value.startswith("file://"):
        return value.removeprefix("file://")
    return None


# --- prompts ---------------------------------------------------------------------------


def read_prompts(spec: Any, base: Path, result: ImportResult) -> list[PromptItem]:
    """Each prompt: its label, its template string or chat messages, and its config."""
    items = spec if isinstance(spec, list) else [spec] if spec is not None else []
    prompts: list[PromptItem] = []
    for index, item in enumerate(items):
        label = f"prompts[{index}]"
        config: dict[str, Any] = {}
        if isinstance(item, dict):
            label = str(item.get("label") or item.get("id") or label)
            given = item.get("config")
            config = given if isinstance(given, dict) else {}
            for key in item:
                if key not in ("label", "id", "raw", "config"):
                    result.skip(f"prompt {label}: {key}", "no equivalent prompt setting")
            item = item.get("raw") or item.get("id")
        ref = file_ref(item)
        if ref is not None:
            files = _prompt_file(base, ref, result)
            prompts.extend(PromptItem(name, template, config) for name, template in files)
        elif isinstance(item, str):
            prompts.append(PromptItem(label, convert_template(item, label, result), config))
        else:
            result.skip(label, "a prompt that is neither text nor a file:// reference")
    return prompts


def _prompt_file(base: Path, ref: str, result: ImportResult) -> list[tuple[str, Any]]:
    path = base / ref
    if any(ch in ref for ch in "*?[") or ":" in ref:
        result.skip(f"prompt file://{ref}", "globs and prompt functions are not read")
        return []
    suffix = path.suffix.lower()
    if suffix in (".js", ".ts", ".mjs", ".cjs", ".py"):
        result.skip(f"prompt file://{ref}", "a prompt function; write its output as a template")
        return []
    if suffix in (".json", ".yaml", ".yml"):
        data = read_yaml(path)  # JSON is YAML; promptfoo's chat prompts are message lists
        if isinstance(data, list) and all(isinstance(m, dict) and "role" in m for m in data):
            messages = [
                {
                    "role": m["role"],
                    "content": convert_template(str(m.get("content", "")), ref, result),
                }
                for m in data
            ]
            result.carried.append(f"prompt {ref} -> chat messages")
            return [(ref, messages)]
        result.skip(f"prompt file://{ref}", "not a list of chat messages")
        return []
    # promptfoo splits a text file into several prompts on lines of `---`.
    parts = [part.strip() for part in re.split(r"\n---\n", read_text(path)) if part.strip()]
    result.carried.append(
        f"prompt {ref} -> template" + (f" x{len(parts)}" if len(parts) > 1 else "")
    )
    return [(ref, convert_template(part, ref, result)) for part in parts]


def convert_template(text: str, where: str, result: ImportResult) -> str:
    """A Nunjucks template as Jinja2: the same syntax, but a few filters differ."""
    from jinja2.filters import FILTERS

    if "| dump" in text or "|dump" in text:
        text = re.sub(r"\|\s*dump\b", "| tojson", text)
        result.carried.append(f"{where}: Nunjucks filter `dump` -> Jinja2 `tojson`")
    for name in dict.fromkeys(re.findall(r"\|\s*([A-Za-z_]\w*)", text)):
        if name not in FILTERS:
            result.skip(
                f"{where}: filter `{name}`",
                "a Nunjucks filter Jinja2 lacks; the template will not render until it is"
                " rewritten",
            )
    return text


# --- providers -------------------------------------------------------------------------


def provider_candidate(spec: Any, result: ImportResult, where: str) -> dict[str, Any] | None:
    """A promptfoo provider as a fieldeval candidate, or None (reported) when it has none."""
    if isinstance(spec, dict) and "id" not in spec and len(spec) == 1:
        ((key, value),) = spec.items()  # the `- openai:gpt-4o: {config: ...}` form
        spec = {"id": key, **(value if isinstance(value, dict) else {})}
    if isinstance(spec, str):
        spec = {"id": spec}
    if not isinstance(spec, dict) or not isinstance(spec.get("id"), str):
        result.skip(where, "a provider without an `id` string")
        return None
    pid: str = spec["id"]
    candidate = _by_id(pid)
    if candidate is None:
        why = (
            "promptfoo's exec: passes the prompt as an argument; a `command` candidate reads"
            " it from stdin: wrap the script"
            if pid.startswith("exec:")
            else "no fieldeval provider for it; use `http`, `python` or `command` to reach it"
        )
        result.skip(f"provider {pid}", why)
        return None
    label = spec.get("label")
    name = candidate.pop("_id")
    candidate = {"id": slug(str(label).lower() if label else name, default="model"), **candidate}
    _config(spec.get("config"), candidate, result, pid)
    for key in spec:
        if key not in ("id", "label", "config"):
            result.skip(f"provider {pid}: {key}", "no equivalent candidate key")
    return candidate


def _by_id(pid: str) -> dict[str, Any] | None:
    if pid == "echo":
        # promptfoo's echo answers with the rendered prompt; `cat` does the same with stdin.
        return {"_id": "echo", "provider": "command", "command": ["cat"]}
    parts = pid.split(":")
    model = parts[-1]
    if parts[0] == "openai" and len(parts) >= 2 and parts[1] not in ("embedding", "embeddings"):
        return {"_id": model, "provider": "openai", "model": model}
    if parts[0] == "anthropic" and len(parts) >= 2:
        return {"_id": model, "provider": "anthropic", "model": model}
    if parts[0] == "ollama" and len(parts) >= 2 and parts[1] != "embeddings":
        return {
            "_id": model,
            "provider": "openai",
            "model": model,
            "base_url": "http://localhost:11434/v1",
            "api_key_env": None,
        }
    return None


def _config(config: Any, candidate: dict[str, Any], result: ImportResult, pid: str) -> None:
    if not isinstance(config, dict):
        return
    for key, value in config.items():
        if key in _PARAMS:
            candidate.setdefault("params", {})[key] = value
        elif key in ("apiBaseUrl", "apiHost") and candidate["provider"] != "command":
            candidate["base_url"] = value if "://" in str(value) else f"https://{value}"
        elif key == "apiKeyEnvar" and candidate["provider"] != "command":
            candidate["api_key_env"] = value
        else:
            result.skip(f"provider {pid}: config.{key}", "no equivalent candidate setting")


# --- tests -----------------------------------------------------------------------------


def read_tests(spec: Any, base: Path, result: ImportResult) -> list[tuple[str, dict[str, Any]]]:
    """Every test as (where it was written, test mapping), from inline lists and files."""
    items = spec if isinstance(spec, list) else [spec] if spec is not None else []
    tests: list[tuple[str, dict[str, Any]]] = []
    for index, item in enumerate(items):
        ref = file_ref(item)
        if ref is not None:
            tests.extend(_test_file(base, ref, result))
        elif isinstance(item, dict):
            tests.append((f"tests[{index}]", item))
        else:
            result.skip(f"tests[{index}]", "neither a test mapping nor a file:// reference")
    return tests


def _test_file(base: Path, ref: str, result: ImportResult) -> list[tuple[str, dict[str, Any]]]:
    path = base / ref
    suffix = path.suffix.lower()
    if any(ch in ref for ch in "*?[") or suffix in (".js", ".ts", ".py", ".xlsx"):
        result.skip(f"tests file://{ref}", "globs, generators and spreadsheets are not read")
        return []
    if suffix == ".csv":
        return [
            (f"{path.name}:{line}", csv_test(cells, f"{path.name}:{line}", result))
            for line, cells in read_csv(path)
        ]
    if suffix == ".jsonl":
        return [(f"{path.name}:{line}", row) for line, row in read_jsonl(path)]
    data = read_yaml(path)
    if not isinstance(data, list) or not all(isinstance(t, dict) for t in data):
        raise DataError(f"{path}: expected a list of tests", hint="each test is a mapping")
    return [(f"{path.name}[{i}]", test) for i, test in enumerate(data)]


def csv_test(cells: dict[str, str], where: str, result: ImportResult) -> dict[str, Any]:
    """A promptfoo CSV row as a test: vars, `__expected*`, `__description`, `__metadata:*`."""
    test: dict[str, Any] = {"vars": {}, "assert": [], "metadata": {}}
    for column, cell in cells.items():
        if not column.startswith("__"):
            test["vars"][column] = cell
        elif column.startswith("__expected"):
            if cell.strip():
                test["assert"].append(parse_compact(cell))
        elif column == "__description":
            test["description"] = cell
        elif column.startswith("__metadata:"):
            test["metadata"][column.removeprefix("__metadata:")] = cell
        elif column == "__threshold":
            if cell.strip():
                try:
                    test["threshold"] = float(cell)
                except ValueError:
                    raise DataError(
                        f"{where}: __threshold {cell!r} is not a number",
                        hint="write a number from 0 to 1, or leave the cell empty",
                    ) from None
        elif cell.strip():
            test.setdefault("options", {})[column] = cell
    return test


def check_config(config: Any, path: Path) -> dict[str, Any]:
    if not isinstance(config, dict):
        raise SuiteError(
            f"{path}: a promptfoo config is a mapping with prompts, providers and tests",
            hint="pass promptfooconfig.yaml",
        )
    return config
