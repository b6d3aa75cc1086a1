"""Structured-output checks: the output is JSON, and matches a JSON Schema.

Models often wrap JSON in a Markdown fence; when the whole output is one fenced block
(```` ```json ```` or a bare ```` ``` ````), its content is what gets parsed.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fieldeval.checks.check import Check
from fieldeval.errors import SuiteError
from fieldeval.records.check_result import CheckResult
from fieldeval.records.example import Example

if TYPE_CHECKING:
    from jsonschema.protocols import Validator

_FENCE = re.compile(r"\s*```[ \t]*(?:json)?[ \t]*\n(.*?)\n?[ \t]*```\s*", re.DOTALL | re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Parsed:
    """An output read as JSON: the document, or why it is not JSON."""

    document: Any = None
    error: str | None = None
    fenced: bool = False

    @property
    def where(self) -> str:
        return " (inside a code fence)" if self.fenced else ""


def parse_json(output: str) -> Parsed:
    """Parse the output, or the content of the one fenced block that makes up all of it."""
    fence = _FENCE.fullmatch(output)
    text = fence[1] if fence else output
    try:
        return Parsed(json.loads(text), fenced=fence is not None)
    except json.JSONDecodeError as error:
        return Parsed(error=f"not JSON{' (inside a code fence)' if fence else ''}: {error}")


@dataclass(frozen=True, slots=True, kw_only=True)
class IsJsonCheck(Check):
    def __call__(self, output: str, example: Example) -> CheckResult:
        parsed = parse_json(output)
        if parsed.error is not None:
            return self.result(False, parsed.error)
        return self.result(True, f"valid JSON{parsed.where}")


@dataclass(frozen=True, slots=True, kw_only=True)
class JsonSchemaCheck(Check):
    """The output parses as JSON and validates; the reason names the failing path."""

    validator: Validator

    def __call__(self, output: str, example: Example) -> CheckResult:
        parsed = parse_json(output)
        if parsed.error is not None:
            return self.result(False, parsed.error)
        errors = list(self.validator.iter_errors(parsed.document))
        if not errors:
            return self.result(True, f"matches the schema{parsed.where}")
        from jsonschema.exceptions import best_match

        first = best_match(errors)
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        return self.result(False, f"{first.json_path}: {first.message}{more}")


def load_validator(schema: dict[str, Any] | str, *, base_dir: Path, check_id: str) -> Validator:
    """A validator for an inline schema or a JSON file relative to `base_dir`, checked valid."""
    # Imported here: jsonschema costs a tenth of a second at start-up, for suites without it.
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import SchemaError
    from jsonschema.validators import validator_for

    if isinstance(schema, str):
        schema = _read_schema(base_dir / schema, check_id)
    cls = validator_for(schema, default=Draft202012Validator)
    try:
        cls.check_schema(schema)
    except SchemaError as error:
        raise SuiteError(
            f"check {check_id!r}: the JSON Schema is invalid at {error.json_path}: {error.message}"
        ) from error
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


def _read_schema(path: Path, check_id: str) -> dict[str, Any]:
    try:
        schema = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as error:
        raise SuiteError(
            f"check {check_id!r}: schema file {str(path)!r} not found",
            hint="schema paths are relative to the suite file",
        ) from error
    except (OSError, UnicodeDecodeError) as error:
        raise SuiteError(f"check {check_id!r}: cannot read {str(path)!r}: {error}") from error
    except json.JSONDecodeError as error:
        raise SuiteError(f"check {check_id!r}: {str(path)!r} is not JSON: {error}") from error
    if not isinstance(schema, dict):
        raise SuiteError(f"check {check_id!r}: {str(path)!r} holds no JSON Schema object")
    return schema
