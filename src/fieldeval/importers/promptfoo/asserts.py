"""promptfoo assertions as fieldeval checks and rubric criteria, or reasons they cannot be."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

# promptfoo type -> (fieldeval check, ignore_case). Values are strings unless listed in _LISTS.
_CHECKS: dict[str, tuple[str, bool]] = {
    "contains": ("contains", False),
    "icontains": ("contains", True),
    "not-contains": ("not_contains", False),
    "not-icontains": ("not_contains", True),
    "contains-any": ("contains_any", False),
    "icontains-any": ("contains_any", True),
    "contains-all": ("contains_all", False),
    "icontains-all": ("contains_all", True),
    "not-contains-any": ("not_contains", False),
    "not-icontains-any": ("not_contains", True),
    "starts-with": ("starts_with", False),
    "regex": ("regex", False),
    "not-regex": ("not_regex", False),
    "equals": ("equals", False),
    "is-json": ("is_json", False),
}
_LISTS = frozenset({"contains_any", "contains_all", "not_contains"})
_CASE_OPTION = frozenset(
    {
        "contains",
        "not_contains",
        "contains_any",
        "contains_all",
        "regex",
        "not_regex",
        "starts_with",
    }
)

# Graded by a model: carried as rubric criteria, the value becoming the question.
_GRADED = frozenset({"llm-rubric", "model-graded-closedqa", "g-eval", "factuality"})

_WHY_NOT = {
    "javascript": "JavaScript code cannot run in fieldeval; rewrite it as a `python` check"
    " (module:function(output, example))",
    "python": "promptfoo's get_assert(output, context) differs from a fieldeval `python` check"
    " (module:function(output, example)); port the function by hand",
    "ruby": "Ruby code cannot run in fieldeval",
    "webhook": "fieldeval has no webhook check; call it from a `python` check",
    "similar": "fieldeval has no embedding-similarity check",
    "levenshtein": "fieldeval has no edit-distance check",
    "latency": "a per-output latency check does not exist; measure latency with `fieldeval load`"
    " (p50/p95 against its targets)",
    "cost": "a per-output cost check does not exist; `fieldeval run` reports cost per candidate",
    "contains-json": "fieldeval's is_json/json_schema need the whole output to be JSON",
    "is-refusal": "fieldeval has no refusal detector; a rubric criterion can ask for it",
    "moderation": "fieldeval has no moderation check",
    "assert-set": "fieldeval has no grouped assertions with their own threshold",
    "select-best": "fieldeval compares candidates side by side with `fieldeval judge --pair`",
    "max-score": "fieldeval has no max-score selection across outputs",
}
_WHY_NOT_DEFAULT = "fieldeval has no equivalent check or criterion"

KNOWN_TYPES = (
    frozenset(_CHECKS)
    | _GRADED
    | frozenset(_WHY_NOT)
    | frozenset(
        {
            "rouge-n",
            "bleu",
            "gleu",
            "meteor",
            "f-score",
            "perplexity",
            "perplexity-score",
            "classifier",
            "answer-relevance",
            "context-faithfulness",
            "context-recall",
            "context-relevance",
            "is-html",
            "contains-html",
            "is-xml",
            "contains-xml",
            "is-sql",
            "contains-sql",
            "finish-reason",
            "is-valid-openai-tools-call",
            "is-valid-function-call",
            "is-valid-openai-function-call",
            "tool-call-f1",
            "starts-with",
            "not-equals",
            "not-starts-with",
            "not-is-json",
            "not-llm-rubric",
            "not-similar",
            "pi",
        }
    )
)
_ALIASES = {"fn": "javascript", "eval": "javascript", "grade": "llm-rubric"}
_COMPACT = re.compile(
    r"^(?P<type>[a-z][a-z0-9-]*)(?:\((?P<threshold>[\d.]+)\))?:\s?(?P<value>.*)$", re.DOTALL
)


_VAR = r"(?:context\.)?vars\.(\w+)"
_QUOTED = r"""(?:'([^']*)'|"([^"]*)")"""
# `output.sentiment === context.vars.sentiment`: a field of the JSON output is the label.
_FIELD_EQUALS = re.compile(rf"^\s*output\.(\w+)\s*===?\s*{_VAR}\s*;?\s*$")
# `output.x === 'a' && context.vars.y === 'b' ? 1 : 0`: one cell of a confusion matrix.
_CELL = re.compile(
    rf"^\s*output\.(\w+)\s*===?\s*{_QUOTED}\s*&&\s*{_VAR}\s*===?\s*{_QUOTED}"
    r"\s*\?\s*1\s*:\s*0\s*;?\s*$"
)


@dataclass(frozen=True)
class Cell:
    """A weight-0 assert counting one confusion-matrix cell: the output's `field` read as
    `read_as` where the example's `var` is `reference`."""

    field: str
    read_as: str
    var: str
    reference: str


@dataclass(frozen=True)
class Mapped:
    """One assertion as a check, a criterion, a confusion-matrix cell, or none of them (with
    the reason)."""

    label: str
    check: dict[str, Any] | None = None
    criterion: dict[str, Any] | None = None
    reason: str | None = None  # set when nothing could be made
    losses: tuple[tuple[str, str], ...] = ()  # parts of the assertion that were dropped
    label_of: tuple[str, str] | None = None  # (output field, var): the var is the reference
    cell: Cell | None = None


def parse_compact(text: str) -> dict[str, Any]:
    """An `__expected` cell (`type:value`, `type(threshold):value`) as an assertion.

    A cell without a known `type:` prefix is an `equals`, as in promptfoo.
    """
    match = _COMPACT.match(text.strip())
    if match:
        kind = _ALIASES.get(match["type"], match["type"])
        if kind in KNOWN_TYPES:
            out: dict[str, Any] = {"type": kind, "value": match["value"]}
            if match["threshold"]:
                out["threshold"] = float(match["threshold"])
            if kind in ("contains-any", "icontains-any", "contains-all", "icontains-all"):
                out["value"] = [part.strip() for part in match["value"].split(",")]
            return out
    return {"type": "equals", "value": text}


def map_assert(assertion: Any, label: str) -> Mapped:
    """Map one promptfoo assertion; `label` names it in reports."""
    if not isinstance(assertion, dict) or not isinstance(assertion.get("type"), str):
        return Mapped(label, reason="not an assertion mapping with a `type`")
    kind: str = assertion["type"]
    metric = f", metric {assertion['metric']}" if "metric" in assertion else ""
    label = f"{label} ({kind}{metric})"
    losses = _losses(assertion, kind)
    value = assertion.get("value")
    if kind in _CHECKS:
        name, ignore_case = _CHECKS[kind]
        check = _check(name, value, ignore_case=ignore_case)
        if check is None:
            return Mapped(label, reason=f"its value {value!r:.60} is not what {kind} takes")
        if isinstance(assertion.get("metric"), str):
            check["id"] = _id(assertion["metric"])
        if assertion.get("weight", 1) == 0:
            # A weight-0 assert feeds a metric and decides nothing: a metric-only check.
            check["metric_only"] = True
            losses = tuple(loss for loss in losses if not loss[0].startswith("weight"))
        return Mapped(label, check=check, losses=losses)
    if kind in ("javascript", "fn", "eval") and isinstance(value, str):
        found = _javascript(assertion, label, value, losses)
        if found is not None:
            return found
    if kind in _GRADED:
        if not isinstance(value, str) or not value.strip():
            return Mapped(label, reason="the rubric text is not a string (a file or object)")
        criterion = {"id": _id(str(assertion.get("metric") or kind)), "question": _question(value)}
        if kind == "factuality":
            criterion["question"] = (
                f"Is the output factually consistent with this reference: {value.strip()}"
            )
        return Mapped(label, criterion=criterion, losses=losses)
    return Mapped(label, reason=_WHY_NOT.get(kind, _WHY_NOT_DEFAULT))


def _javascript(
    assertion: dict[str, Any], label: str, code: str, losses: tuple[tuple[str, str], ...]
) -> Mapped | None:
    """The two JavaScript forms a classification suite writes, or None for any other code."""
    if match := _FIELD_EQUALS.match(code):
        field, var = match.groups()
        check = {"equals": "{{ " + var + " }}", "field": field}
        if isinstance(assertion.get("metric"), str):
            check["id"] = _id(assertion["metric"])
        return Mapped(label, check=check, losses=losses, label_of=(field, var))
    if match := _CELL.match(code):
        field, read_a, read_b, var, ref_a, ref_b = match.groups()
        cell = Cell(field, read_a if read_a is not None else read_b, var, ref_a or ref_b or "")
        # A metric-only count (weight 0) decides nothing: exactly a confusion-matrix cell.
        kept = tuple(loss for loss in losses if not loss[0].startswith("weight"))
        return Mapped(label, losses=kept, cell=cell)
    return None


def _check(name: str, value: Any, *, ignore_case: bool) -> dict[str, Any] | None:
    if name == "is_json":
        if value in (None, True, ""):
            return {"is_json": True}
        if isinstance(value, dict):
            return {"json_schema": value}
        return None
    if name in _LISTS and isinstance(value, list) and all(isinstance(v, str) for v in value):
        pass
    elif not isinstance(value, str | int | float) or isinstance(value, bool):
        return None
    else:
        value = str(value)
    check: dict[str, Any] = {name: value}
    if ignore_case and name in _CASE_OPTION:
        check["ignore_case"] = True
    return check


def _losses(assertion: dict[str, Any], kind: str) -> tuple[tuple[str, str], ...]:
    lost = []
    if "threshold" in assertion and kind in _GRADED:
        lost.append(
            (
                f"threshold {assertion['threshold']}",
                "criteria are graded pass/fail by the judge; a 0-1 score threshold has no"
                " equivalent",
            )
        )
    if assertion.get("weight", 1) != 1:
        lost.append((f"weight {assertion['weight']}", "checks and criteria are not weighted"))
    for key, why in (
        ("transform", "fieldeval grades the output as returned; no transform step"),
        ("provider", "the grading model is the suite's one `judge`"),
        ("rubricPrompt", "the judge's prompt is fieldeval's own"),
        ("config", "no per-assertion config"),
    ):
        if key in assertion:
            lost.append((key, why))
    return tuple(lost)


def _question(text: str) -> str:
    return " ".join(text.split())


def _id(text: str) -> str:
    cleaned = re.sub(r"[^A-Za-z0-9_.\-]+", "-", text.strip()).strip("-._")
    return cleaned or "criterion"


def template_vars(text: str) -> list[str]:
    """The `{{ name }}` variables a Nunjucks/Jinja2 text uses, in order, once each."""
    names = re.findall(r"{{\s*([A-Za-z_][A-Za-z0-9_]*)", text)
    return list(dict.fromkeys(names))
