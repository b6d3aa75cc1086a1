"""Loading a suite file, with errors that point at file:line:column."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from fieldeval.canonical import content_hash
from fieldeval.errors import SuiteError
from fieldeval.suite.schema import Suite


@dataclass(frozen=True)
class LoadedSuite:
    """A validated suite and where it came from."""

    suite: Suite
    path: Path
    text: str

    @property
    def base_dir(self) -> Path:
        return self.path.parent

    @property
    def suite_hash(self) -> str:
        return content_hash(self.suite.model_dump(mode="json"))


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a suite file."""

    location: str  # file:line:column
    field: str  # dotted path, e.g. candidates[0].provider
    message: str
    hint: str | None = None

    def __str__(self) -> str:
        hint = f"\n    hint: {self.hint}" if self.hint else ""
        return f"{self.location}: {self.field}: {self.message}{hint}"


class SuiteValidationError(SuiteError):
    """A suite file with one or more problems, each located."""

    def __init__(self, path: Path, problems: list[Problem]) -> None:
        self.problems = problems
        noun = "problem" if len(problems) == 1 else "problems"
        lines = "\n".join(f"  {problem}" for problem in problems)
        super().__init__(f"{path}: {len(problems)} {noun}\n{lines}")


def load_suite(path: Path) -> LoadedSuite:
    """Read, parse and validate a suite file."""
    path = Path(path)
    text = _read(path)
    tree = _parse(path, text)
    if not isinstance(tree, CommentedMap):
        raise SuiteError(
            f"{path}:1:1: a suite file is a YAML mapping with task, dataset, candidates, checks",
            hint="run `fieldeval init --from DATA_FILE` to start from a commented example",
        )
    try:
        suite = Suite.model_validate(_plain(tree))
    except ValidationError as error:
        raise SuiteValidationError(path, _problems(path, tree, error)) from None
    return LoadedSuite(suite=suite, path=path.resolve(), text=text)


def _read(path: Path) -> str:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise SuiteError(f"{path}: no such suite file", hint="check the path") from None
    except OSError as error:
        raise SuiteError(f"{path}: cannot read: {error.strerror}") from None
    if b"\x00" in raw[:8192]:
        raise SuiteError(f"{path}: looks like a binary file, not YAML")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        raise SuiteError(
            f"{path}:{line}: not valid UTF-8 (byte 0x{raw[error.start]:02x})",
            hint="save the suite file as UTF-8",
        ) from None


def _parse(path: Path, text: str) -> Any:
    if not text.strip():
        raise SuiteError(f"{path}: the file is empty", hint="run `fieldeval init --from DATA_FILE`")
    yaml = YAML(typ="rt")
    yaml.allow_duplicate_keys = False
    try:
        return yaml.load(text)
    except MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
        problem = error.problem or error.context or "invalid YAML"
        raise SuiteError(
            f"{where}: YAML syntax error: {problem}",
            hint="check indentation, and quote strings that contain ': ' or start with { [ * &",
        ) from None
    except YAMLError as error:
        raise SuiteError(f"{path}: YAML error: {error}") from None


def _plain(node: Any) -> Any:
    """ruamel's round-trip containers as plain dicts and lists, for pydantic."""
    if isinstance(node, CommentedMap):
        return {str(key): _plain(value) for key, value in node.items()}
    if isinstance(node, CommentedSeq):
        return [_plain(value) for value in node]
    return node


def _problems(path: Path, tree: CommentedMap, error: ValidationError) -> list[Problem]:
    problems = []
    errors = error.errors(include_url=False)
    failed = {e["loc"] for e in errors}
    for item in errors:
        loc = tuple(item["loc"])
        # A list that is "too short" only because its items failed says nothing new.
        if item["type"] == "too_short" and any(other[: len(loc)] == loc and other != loc
                                              for other in failed):
            continue
        line, column, found = _position(tree, loc)
        problems.append(
            Problem(
                location=f"{path}:{line}:{column}",
                field=_dotted(loc),
                message=_message(item),
                hint=_hint(tree, item, found),
            )
        )
    return problems


def _position(tree: CommentedMap, loc: tuple[Any, ...]) -> tuple[int, int, tuple[Any, ...]]:
    """The line and column of the deepest node of `loc` that exists in the YAML."""
    node: Any = tree
    line, column = 1, 1
    found: tuple[Any, ...] = ()
    for part in loc:
        if isinstance(node, CommentedMap) and part in node:
            line, column = node.lc.key(part)
            line, column = line + 1, column + 1
            node = node[part]
        elif isinstance(node, CommentedSeq) and isinstance(part, int) and part < len(node):
            line, column = node.lc.item(part)
            line, column = line + 1, column + 1
            node = node[part]
        else:
            continue  # pydantic's own steps (a union tag, "value") have no YAML node
        found = (*found, part)
    return line, column, found


def _dotted(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def _message(item: Any) -> str:
    kind, message = item["type"], item["msg"]
    if kind == "missing":
        return "required field is missing"
    if kind == "extra_forbidden":
        return "unknown key"
    if kind == "union_tag_invalid":
        expected = item.get("ctx", {}).get("expected_tags", "")
        return f"unknown value {item['ctx']['tag']!r}; expected one of {expected}"
    if kind == "value_error":
        return message.removeprefix("Value error, ")
    given = item.get("input")
    shown = f" (got {given!r:.60})" if isinstance(given, str | int | float | bool) else ""
    return f"{message[0].lower()}{message[1:]}{shown}"


def _hint(tree: CommentedMap, item: Any, found: tuple[Any, ...]) -> str | None:
    if item["type"] != "extra_forbidden":
        return None
    unknown = str(item["loc"][-1])
    allowed = _allowed_keys(item["loc"][:-1], tree)
    guesses = difflib.get_close_matches(unknown, allowed, n=1, cutoff=0.6)
    if guesses:
        return f"did you mean {guesses[0]!r}?"
    return f"allowed here: {', '.join(sorted(allowed))}" if allowed else None


def _allowed_keys(loc: tuple[Any, ...], tree: CommentedMap) -> list[str]:
    """The keys the schema accepts at `loc`, found by walking the pydantic models."""
    model: Any = Suite
    data: Any = _plain(tree)
    for part in loc:
        data = data[part] if isinstance(data, dict | list) and _has(data, part) else None
        if isinstance(part, int):
            continue
        field = getattr(model, "model_fields", {}).get(part)
        if field is None:
            return _tagged_member_keys(model, data) if isinstance(part, str) else []
        model = _model_of(field.annotation, data)
        if model is None:
            return []
    return list(getattr(model, "model_fields", {}))


def _has(data: Any, part: Any) -> bool:
    if isinstance(data, dict):
        return part in data
    return isinstance(part, int) and part < len(data)


def _model_of(annotation: Any, data: Any) -> Any:
    """The pydantic model inside an annotation (Optional, tuple, tagged union)."""
    import typing

    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    args = typing.get_args(annotation)
    members = [m for a in args for m in ([a] if _is_model(a) else [_model_of(a, data)]) if m]
    if len(members) == 1:
        return members[0]
    for member in members:  # a tagged union: pick by the tag the data carries
        for tag in ("provider", "type"):
            field = member.model_fields.get(tag)
            if field is not None and isinstance(data, dict) and data.get(tag) in typing.get_args(
                field.annotation
            ):
                return member
    return members[0] if members else None


def _is_model(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def _tagged_member_keys(model: Any, data: Any) -> list[str]:
    return list(getattr(model, "model_fields", {}))
