"""A promptfoo classification config carried into the suite: the label a JSON field holds,
the labels, the response schema as a check, and its confusion-cell counts and derived
metrics as fieldeval's classification view (precision, recall and F1 per label)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from fieldeval.importers.common import ImportResult, slug
from fieldeval.importers.promptfoo.asserts import Cell
from fieldeval.importers.promptfoo.config import PromptItem

_NAME = re.compile(r"[A-Za-z_]\w*")


def response_schema_checks(
    prompts: Sequence[PromptItem], candidates: Sequence[dict[str, Any]], result: ImportResult
) -> list[dict[str, Any]]:
    """A `json_schema` check per prompt whose `response_format` gives one; with several
    prompts it applies to that prompt's candidates (one per provider, in provider order)."""
    checks = []
    for index, prompt in enumerate(prompts):
        schema, name = _schema(prompt)
        if schema is None:
            continue
        check: dict[str, Any] = {"json_schema": schema, "id": slug(name, default="response")}
        if len(prompts) > 1:
            check["applies_to"] = [c["id"] for c in candidates[index :: len(prompts)]]
        checks.append(check)
        result.carried.append(
            f"prompt {prompt.label}: response_format json_schema {name} -> check {check['id']}"
        )
    return checks


def labels_spec(
    label_of: tuple[str, str] | None,
    cells: Sequence[tuple[str, Cell]],
    prompts: Sequence[PromptItem],
    result: ImportResult,
) -> dict[str, Any] | None:
    """The suite's `labels:` when an assert compares a field of the JSON output with a var:
    the values from the response schema's enum for that field, else from the cell asserts,
    else left for fieldeval to read off the references."""
    if label_of is None:
        return None
    field, var = label_of
    spec: dict[str, Any] = {"field": field}
    for prompt in prompts:
        schema, _ = _schema(prompt)
        enum = ((schema or {}).get("properties") or {}).get(field, {}).get("enum")
        if isinstance(enum, list) and all(isinstance(v, str) for v in enum):
            spec["values"] = enum
            break
    else:
        named = [v for _, c in cells for v in (c.reference, c.read_as)]
        if named:
            spec["values"] = list(dict.fromkeys(named))
    where = "the response schema's enum" if "values" in spec else "the references"
    result.carried.append(
        f"output.{field} === vars.{var} -> reference `{var}`, labels read from the output's"
        f" JSON field `{field}` (values from {where})"
    )
    return spec


def carry_cells_and_derived(
    cells: Sequence[tuple[str, Cell]], derived: Any, result: ImportResult
) -> None:
    """Confusion-cell counts (weight-0 asserts) and the derived metrics built only on them
    are what the classification view shows; anything else is reported as dropped."""
    metrics = {metric for metric, _ in cells}
    for metric, cell in cells:
        result.carried.append(
            f"metric {metric} (weight 0) -> the classification view's confusion matrix: "
            f"{cell.var} {cell.reference}, read as {cell.read_as}"
        )
    for index, item in enumerate(derived if isinstance(derived, list) else []):
        name = item.get("name") if isinstance(item, dict) else None
        value = item.get("value") if isinstance(item, dict) else None
        used = set(_NAME.findall(value)) if isinstance(value, str) else {"?"}
        if metrics and used <= metrics:
            result.carried.append(
                f"derivedMetrics {name or index} -> the classification view (precision, recall"
                " and F1 per label with 95% intervals, macro- and micro-F1, accuracy)"
            )
        else:
            result.skip(
                f"derivedMetrics {name or index}",
                "fieldeval computes its own summaries; derived metrics are carried only when"
                " built on confusion-matrix counts",
            )


def _schema(prompt: PromptItem) -> tuple[dict[str, Any] | None, str]:
    response = prompt.config.get("response_format")
    if not isinstance(response, dict) or response.get("type") != "json_schema":
        return None, ""
    spec = response.get("json_schema")
    schema = spec.get("schema") if isinstance(spec, dict) else None
    name = str(spec.get("name") or "response") if isinstance(spec, dict) else "response"
    return (schema, name) if isinstance(schema, dict) else (None, name)
