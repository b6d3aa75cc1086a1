"""A promptfoo config (prompts, providers, tests, asserts) as a fieldeval suite."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

from fieldeval.errors import SuiteError
from fieldeval.importers.common import (
    DATA_FILE,
    PLACEHOLDER_CANDIDATE,
    ImportResult,
    free_name,
    pick_file,
    read_yaml,
    slug,
)
from fieldeval.importers.promptfoo_asserts import Mapped, map_assert, template_vars
from fieldeval.importers.promptfoo_config import (
    check_config,
    provider_candidate,
    read_prompts,
    read_tests,
)

_READ = frozenset({"description", "prompts", "providers", "targets", "tests", "defaultTest"})
_WHY_KEY = {
    "scenarios": "fieldeval has one dataset per suite; expand the scenarios into its rows",
    "derivedMetrics": "fieldeval computes its own summaries; no derived metrics",
    "evaluateOptions": "concurrency and repeats are set per candidate and by `fieldeval run`",
    "redteam": "red-team generation is not imported",
}
# Checks whose empty value always passes: rows without the assert can share the check.
_EMPTY_PASSES = frozenset({"contains", "regex", "starts_with"})


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

    builder = _Builder(result, default)
    builder.add_rows(tests)
    builder.add_default_asserts(default.get("assert") or [])
    builder.finish_row_checks()
    candidates = _candidates(config, prompts, result)
    description = config.get("description")
    suite: dict[str, Any] = {
        "version": 1,
        "task": {
            "name": slug(base.name if path.stem.startswith("promptfooconfig") else path.stem),
            "description": description
            or f"TODO: say what a good output is (promptfoo config {path.name} had no"
            " description).",
            "prompt": _prompt(prompts[0][1]),
        },
        "dataset": builder.dataset_spec(),
        "candidates": candidates,
    }
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
    config: dict[str, Any], prompts: list[tuple[str, Any]], result: ImportResult
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
        for index, (label, prompt) in enumerate(prompts):
            one = dict(candidate)
            if len(prompts) > 1:
                one["id"] = f"{candidate['id']}-p{index + 1}"
                if index > 0:
                    one["prompt"] = _prompt(prompt)
                result.carried.append(f"prompt {label} on {candidate['id']} -> {one['id']}")
            one["id"] = free_name(one["id"], taken)
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


class _Builder:
    """Test rows, and the checks and criteria their assertions become."""

    def __init__(self, result: ImportResult, default: dict[str, Any]) -> None:
        self.result = result
        self.default_vars: dict[str, Any] = dict(default.get("vars") or {})
        self.rows: list[dict[str, Any]] = []
        self.checks: list[dict[str, Any]] = []
        self.criteria: list[dict[str, Any]] = []
        self.taken: set[str] = set()
        self.id_field = "id"
        self.slices: list[str] = []
        self.input_field: str | None = None
        self.reference: str | None = None
        # (check name, ignore_case, slot) -> {row index: value}
        self.row_checks: dict[tuple[str, bool, int], dict[int, str]] = {}
        self.row_graded: dict[str, list[int]] = {}
        for key in default:
            if key not in ("vars", "assert", "options"):
                result.skip(f"defaultTest.{key}", "no equivalent suite setting")

    def add_rows(self, tests: list[tuple[str, dict[str, Any]]]) -> None:
        names = list(self.default_vars)
        for _, test in tests:
            names.extend(k for k in (test.get("vars") or {}) if k not in names)
        self.taken = set(names)
        self.id_field = free_name("id", self.taken)
        fields: dict[str, str] = {}
        unused: Counter[str] = Counter()
        thresholds = 0
        for index, (where, test) in enumerate(tests):
            values = {**self.default_vars, **(test.get("vars") or {})}
            row: dict[str, Any] = {self.id_field: f"test-{index + 1}"}
            for name in names:
                row[name] = values.get(name, "")
                if isinstance(row[name], list):
                    unused[f"list value in var {name}"] += 1
            if test.get("description"):
                field = fields.setdefault("description", free_name("description", self.taken))
                row[field] = test["description"]
            for key, value in (test.get("metadata") or {}).items():
                field = fields.setdefault(f"metadata:{key}", free_name(str(key), self.taken))
                row[field] = value
                if field not in self.slices:
                    self.slices.append(field)
            if "threshold" in test:
                field = fields.setdefault("threshold", free_name("threshold", self.taken))
                row[field] = test["threshold"]
                thresholds += 1
            self.rows.append(row)
            for number, assertion in enumerate(test.get("assert") or []):
                self._row_assert(index, values, map_assert(assertion, f"{where} assert {number}"))
            for key in test:
                if key not in ("vars", "description", "metadata", "threshold", "assert"):
                    unused[f"test `{key}`" if key != "options" else "test options"] += 1
        self._describe_rows(fields, thresholds, unused, len(tests))

    def _describe_rows(
        self, fields: dict[str, str], thresholds: int, unused: Counter[str], total: int
    ) -> None:
        result = self.result
        result.carried.append(f"{total} tests -> {DATA_FILE} rows (vars as fields)")
        for source, field in fields.items():
            if source.startswith("metadata:"):
                result.carried.append(f"{source} -> field and slice `{field}`")
            elif source == "description":
                result.carried.append(f"test descriptions -> field `{field}`")
        if thresholds:
            result.skip(
                f"test threshold ({thresholds} tests)",
                "a test's pass score over weighted asserts has no equivalent: each check and"
                f" criterion passes on its own; the values are kept in field"
                f" `{fields['threshold']}`",
            )
        for what, count in unused.items():
            why = (
                "promptfoo runs one test per list item; the list is kept as one value"
                if what.startswith("list value")
                else "no equivalent per-example setting"
            )
            result.skip(f"{what} ({count} tests)", why)

    def _row_assert(self, index: int, values: dict[str, Any], mapped: Mapped) -> None:
        for what, why in mapped.losses:
            self.result.skip(f"{mapped.label}: {what}", why)
        if mapped.reason is not None:
            self.result.skip(mapped.label, mapped.reason)
            return
        if mapped.criterion is not None:
            self.row_graded.setdefault(mapped.criterion["question"], []).append(index)
            return
        check = dict(mapped.check or {})
        ignore_case = bool(check.pop("ignore_case", False))
        check.pop("id", None)
        ((name, value),) = check.items()
        if name == "contains_any" and isinstance(value, list):
            name, value = "regex", "(?:" + "|".join(re.escape(v) for v in value) + ")"
        elif isinstance(value, list) and len(value) == 1:
            value = value[0]
        if not isinstance(value, str):
            value = json.dumps(value, sort_keys=True)  # compared across rows below
            name = f"{name}:static"
        elif "{{" in value or "{%" in value:
            value = self._render(value, values, mapped.label)
            if value is None:
                return
        slot = 1
        while (name, ignore_case, slot) in self.row_checks and index in self.row_checks[
            (name, ignore_case, slot)
        ]:
            slot += 1
        self.row_checks.setdefault((name, ignore_case, slot), {})[index] = value

    def _render(self, text: str, values: dict[str, Any], label: str) -> str | None:
        from fieldeval.suite.template import render

        try:
            return render(text, values, where=label)
        except SuiteError as error:
            self.result.skip(label, f"its value does not render over the test's vars: {error}")
            return None

    def finish_row_checks(self) -> None:
        """Per-test check values as fields, each read by one templated check."""
        total = len(self.rows)
        for (name, ignore_case, slot), values in self.row_checks.items():
            missing = total - len(values)
            if name.endswith(":static"):
                self._static_row_check(name.removesuffix(":static"), values, total)
                continue
            if missing and name not in _EMPTY_PASSES:
                self.result.skip(
                    f"per-test {name} asserts ({len(values)} of {total} tests)",
                    "a check applies to every example, and an empty value would fail the others;"
                    " write a `python` check",
                )
                continue
            stem = f"expected_{name}" + (f"_{slot}" if slot > 1 else "")
            field = free_name(stem, self.taken)
            for index, row in enumerate(self.rows):
                row[field] = values.get(index, "")
            check: dict[str, Any] = {name: "{{ " + field + " }}", "id": field.replace("_", "-")}
            if ignore_case:
                check["ignore_case"] = True
            self.checks.append(check)
            self.result.carried.append(
                f"per-test {name} asserts ({len(values)} of {total} tests) -> field `{field}`"
                f" and check"
                f" `{check['id']}`"
            )
            if missing:
                self.result.skip(
                    f"check {check['id']} on the {missing} tests without that assert",
                    "checks apply to every example; there the value is empty, so it passes",
                )
            if name == "equals" and not missing and self.reference is None:
                self.reference = field
        for question, indexes in self.row_graded.items():
            if len(indexes) == total and len(self.row_graded) == 1:
                self._add_criterion({"id": "per-test-rubric", "question": question}, "tests")
            else:
                self.result.skip(
                    f"per-test rubric ({len(indexes)} of {total} tests): {question[:60]}",
                    "rubric criteria are suite-wide and their questions are not templates",
                )

    def _static_row_check(self, name: str, values: dict[int, str], total: int) -> None:
        if len(values) == total and len(set(values.values())) == 1:
            value = json.loads(next(iter(values.values())))
            self.checks.append({name: value})
            self.result.carried.append(f"per-test {name} (on every test) -> check {name}")
        else:
            self.result.skip(
                f"per-test {name} ({len(values)} of {total} tests)",
                "it differs by test, and this check's value cannot be a template",
            )

    def add_default_asserts(self, asserts: list[Any]) -> None:
        for number, assertion in enumerate(asserts):
            mapped = map_assert(assertion, f"defaultTest assert {number}")
            for what, why in mapped.losses:
                self.result.skip(f"{mapped.label}: {what}", why)
            if mapped.reason is not None:
                self.result.skip(mapped.label, mapped.reason)
            elif mapped.check is not None:
                self.checks.append(mapped.check)
                self.result.carried.append(f"{mapped.label} -> check {next(iter(mapped.check))}")
            elif mapped.criterion is not None:
                self._add_criterion(dict(mapped.criterion), mapped.label)

    def _add_criterion(self, criterion: dict[str, Any], label: str) -> None:
        ids = {c["id"] for c in self.criteria}
        criterion["id"] = free_name(criterion["id"], ids)
        self.criteria.append(criterion)
        self.result.carried.append(f"{label} -> rubric criterion {criterion['id']}")

    def dataset_spec(self) -> dict[str, Any]:
        # The judge shows the input field beside each criterion: the var the rubric text
        # names most is the one it refers to.
        named = Counter(v for c in self.criteria for v in template_vars(c["question"]))
        fields = [k for k in (self.rows[0] if self.rows else {}) if k != self.id_field]
        spec: dict[str, Any] = {"path": DATA_FILE, "format": "jsonl", "id": self.id_field}
        chosen = next((v for v, _ in named.most_common() if v in fields), None)
        spec["input"] = chosen or (fields[0] if fields else None)
        if self.reference is not None:
            spec["reference"] = self.reference
        if self.slices:
            spec["slices"] = self.slices
        if spec["input"] is None:
            del spec["input"]
        for criterion in self.criteria:
            used = template_vars(criterion["question"])
            unseen = [v for v in used if v != spec.get("input")]
            if used:
                self.result.skip(
                    f"criterion {criterion['id']}: " + ", ".join("{{" + v + "}}" for v in used),
                    "a criterion's question is not a template: the judge reads it as written,"
                    f" beside the example's input (field {spec.get('input')})"
                    + (f"; it does not see {', '.join(unseen)}" if unseen else ""),
                )
        return spec
