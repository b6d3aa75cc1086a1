"""promptfoo's tests as fieldeval's rows, and their asserts as checks, criteria and the
classification they imply."""

from __future__ import annotations

import json
import re
from collections import Counter
from typing import Any

from fieldeval.errors import SuiteError
from fieldeval.importers.common import DATA_FILE, ImportResult, free_name
from fieldeval.importers.promptfoo.asserts import Cell, Mapped, map_assert, template_vars

# Checks whose empty value always passes: rows without the assert can share the check.
_EMPTY_PASSES = frozenset({"contains", "regex", "starts_with"})


class TestsBuilder:
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
        # (check name, ignore_case, metric_only, slot) -> {row index: value}
        self.row_checks: dict[tuple[str, bool, bool, int], dict[int, str]] = {}
        self.row_graded: dict[str, list[int]] = {}
        self.label_of: tuple[str, str] | None = None  # (output field, var) of the label
        self.cells: list[tuple[str, Cell]] = []  # (metric, confusion-matrix cell) asserts
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
        if mapped.cell is not None or mapped.label_of is not None:
            self._classification_assert(mapped)  # the same on every test that has it
            return
        if mapped.criterion is not None:
            self.row_graded.setdefault(mapped.criterion["question"], []).append(index)
            return
        check = dict(mapped.check or {})
        ignore_case = bool(check.pop("ignore_case", False))
        metric_only = bool(check.pop("metric_only", False))
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
        while index in self.row_checks.get((name, ignore_case, metric_only, slot), {}):
            slot += 1
        self.row_checks.setdefault((name, ignore_case, metric_only, slot), {})[index] = value

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
        for (name, ignore_case, metric_only, slot), values in self.row_checks.items():
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
            if metric_only:
                check["metric_only"] = True
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
            elif mapped.cell is not None or mapped.label_of is not None:
                self._classification_assert(mapped)
            elif mapped.check is not None:
                self.checks.append(mapped.check)
                self.result.carried.append(f"{mapped.label} -> check {next(iter(mapped.check))}")
            elif mapped.criterion is not None:
                self._add_criterion(dict(mapped.criterion), mapped.label)

    def _classification_assert(self, mapped: Mapped) -> None:
        """A confusion-cell count, or the check that a JSON field of the output equals a var
        (that var then being the reference, and the field the label); each kept once."""
        if mapped.cell is not None:
            metric = mapped.label.rsplit("metric ", 1)[-1].rstrip(")")
            if all(cell != mapped.cell for _, cell in self.cells):
                self.cells.append((metric, mapped.cell))
            return
        if mapped.check is None or mapped.check in self.checks:
            return
        self.checks.append(mapped.check)
        self.result.carried.append(
            f"{mapped.label} -> check {mapped.check.get('id', 'equals')} (equals, field"
            f" {mapped.check['field']})"
        )
        if self.label_of is None and mapped.label_of is not None:
            self.label_of = mapped.label_of
            self.reference = self.reference or mapped.label_of[1]

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
