"""`import_promptfoo`: the config read, and its parts put together as a suite."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fieldeval.errors import SuiteError
from fieldeval.importers.common import (
    PLACEHOLDER_CANDIDATE,
    ImportResult,
    free_name,
    pick_file,
    read_yaml,
    slug,
)
from fieldeval.importers.promptfoo.classification import (
    carry_cells_and_derived,
    labels_spec,
    response_schema_checks,
)
from fieldeval.importers.promptfoo.config import (
    PromptItem,
    check_config,
    provider_candidate,
    read_prompts,
    read_tests,
)
from fieldeval.importers.promptfoo.rows import TestsBuilder

_READ = frozenset(
    {"description", "prompts", "providers", "targets", "tests", "defaultTest", "derivedMetrics"}
)
_WHY_KEY = {
    "scenarios": "fieldeval has one dataset per suite; expand the scenarios into its rows",
    "evaluateOptions": "concurrency and repeats are set per candidate and by `fieldeval run`",
    "redteam": "red-team generation is not imported",
}


def import_promptfoo(source: Path) -> ImportResult:
    """Read a promptfoo config (a file, or a folder holding promptfooconfig.yaml)."""
    path = pick_file(
        source, ("promptfooconfig.yaml", "promptfooconfig.yml"), (".yaml", ".yml"), "promptfoo"
    )
    config = check_config(read_yaml(path), path)
    base = path.parent
    result = ImportResult("promptfoo", path, {}, [])
    for key in config:
        if key not in _READ:
            result.skip(f"`{key}`", _WHY_KEY.get(key, "no equivalent in a fieldeval suite"))

    prompts = read_prompts(config.get("prompts"), base, result)
    if not prompts:
        raise SuiteError(
            f"{path}: no prompt could be carried over",
            hint="give `prompts:` as text or file:// references to text or chat-message files",
        )
    tests = read_tests(config.get("tests"), base, result)
    if not tests:
        raise SuiteError(
            f"{path}: no tests could be read: a fieldeval suite needs a dataset",
            hint="give `tests:` inline, or as file:// CSV, YAML, JSON or JSONL",
        )
    default = config.get("defaultTest") or {}
    if not isinstance(default, dict):
        result.skip("defaultTest", "a file:// defaultTest is not read")
        default = {}

    builder = TestsBuilder(result, default)
    builder.add_rows(tests)
    builder.add_default_asserts(default.get("assert") or [])
    builder.finish_row_checks()
    candidates = _candidates(config, prompts, result)
    builder.checks += response_schema_checks(prompts, candidates, result)
    labels = labels_spec(builder.label_of, builder.cells, prompts, result)
    carry_cells_and_derived(builder.cells, config.get("derivedMetrics"), result)
    description = config.get("description")
    suite: dict[str, Any] = {
        "version": 1,
        "task": {
            "name": slug(base.name if path.stem.startswith("promptfooconfig") else path.stem),
            "description": description
            or f"TODO: say what a good output is (promptfoo config {path.name} had no"
            " description).",
            "prompt": _prompt(prompts[0].template),
        },
        "dataset": builder.dataset_spec(),
        "candidates": candidates,
    }
    if labels is not None:
        suite["labels"] = labels
    if builder.checks:
        suite["checks"] = builder.checks
    if builder.criteria:
        suite["rubric"] = builder.criteria
        judge = _judge(default.get("options"), result)
        if judge is not None:
            suite["judge"] = {"candidate": judge}
    result.suite = suite
    result.rows = builder.rows
    return result


def _prompt(prompt: Any) -> Any:
    return prompt if isinstance(prompt, str) else {"messages": prompt}


def _candidates(
    config: dict[str, Any], prompts: list[PromptItem], result: ImportResult
) -> list[dict[str, Any]]:
    specs = config.get("providers", config.get("targets")) or []
    specs = specs if isinstance(specs, list) else [specs]
    models = []
    for index, spec in enumerate(specs):
        candidate = provider_candidate(spec, result, f"providers[{index}]")
        if candidate is not None:
            models.append(candidate)
            result.carried.append(f"provider {_spec_id(spec)} -> candidate {candidate['id']}")
            if candidate["provider"] == "command":
                result.carried.append(
                    f"echo -> `command: [cat]` ({candidate['id']} answers with its rendered"
                    " prompt, as promptfoo's echo does)"
                )
    if not models:
        models = [dict(PLACEHOLDER_CANDIDATE)]
        result.carried.append("no provider could be carried: added candidate local-gemma")
    taken: set[str] = set()
    out = []
    # promptfoo runs every prompt on every provider: one candidate per pair.
    for candidate in models:
        for index, prompt in enumerate(prompts):
            one = dict(candidate)
            if len(prompts) > 1:
                one["id"] = f"{candidate['id']}-p{index + 1}"
                if index > 0:
                    one["prompt"] = _prompt(prompt.template)
            one["id"] = free_name(one["id"], taken)
            result.carried.append(f"prompt {prompt.label} on {candidate['id']} -> {one['id']}")
            params = prompt.params(result)
            if params and candidate["provider"] == "command":
                result.skip(
                    f"prompt {prompt.label}: config on {one['id']}",
                    "a command candidate takes no model parameters",
                )
            elif params:
                one["params"] = {**one.get("params", {}), **params}
                for key in params:
                    result.carried.append(
                        f"prompt {prompt.label}: config.{key} -> {one['id']} params.{key}"
                    )
            out.append(one)
    return out


def _spec_id(spec: Any) -> str:
    if isinstance(spec, dict):
        return str(spec.get("id") or next(iter(spec), "?"))
    return str(spec)


def _judge(options: Any, result: ImportResult) -> dict[str, Any] | None:
    provider = options.get("provider") if isinstance(options, dict) else None
    for key in options or {}:
        if key != "provider":
            result.skip(f"defaultTest.options.{key}", "no equivalent suite setting")
    if provider is None:
        result.skip(
            "the grading model",
            "promptfoo picks a default grader from its environment; add a `judge:` to grade"
            " the rubric",
        )
        return None
    candidate = provider_candidate(provider, result, "defaultTest.options.provider")
    if candidate is not None:
        candidate["id"] = f"judge-{candidate['id']}"
        result.carried.append(f"defaultTest.options.provider -> judge {candidate['id']}")
    return candidate
