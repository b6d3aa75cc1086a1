"""Loading a suite file, with errors that point at file:line:column."""

from __future__ import annotations

import difflib
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.constructor import DuplicateKeyError
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.nodes import MappingNode, Node, SequenceNode

from fieldeval.canonical import content_hash
from fieldeval.errors import SuiteError
from fieldeval.suite.schema import CHECK_TYPES, PROVIDERS, Suite
from fieldeval.suite.template import TemplateFailed
from fieldeval.yaml_limits import PARSER_DEPTH_MESSAGE, YamlTooLarge, check_size


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


_START_HINT = "run `fieldeval init --from DATA_FILE` to start from a commented example"


def load_suite(path: Path) -> LoadedSuite:
    """Read, parse and validate a suite file."""
    path = Path(path)
    text = _read(path)
    tree = _parse(path, text)
    if tree is None:  # only comments
        raise SuiteError(f"{path}: the file is empty", hint=_START_HINT)
    if not isinstance(tree, CommentedMap):
        found = "a list" if isinstance(tree, CommentedSeq) else f"a single value ({tree!r:.40})"
        raise SuiteError(
            f"{path}:1:1: a suite file is a YAML mapping with task, dataset, candidates and"
            f" checks; found {found}",
            hint=_START_HINT,
        )
    try:
        suite = Suite.model_validate(_plain(path, tree))
    except ValidationError as error:
        raise SuiteValidationError(path, _problems(path, tree, error)) from None
    return LoadedSuite(suite=suite, path=path.resolve(), text=text)


def locate_template(loaded: LoadedSuite, error: TemplateFailed) -> SuiteError:
    """`error` with the suite file and the line where its template is written, when found."""
    first = next((line.strip() for line in error.source.splitlines() if line.strip()), "")
    line = next(
        (n for n, text in enumerate(loaded.text.splitlines(), 1) if first and first in text),
        None,
    )
    where = f"{loaded.path}:{line}" if line else str(loaded.path)
    return SuiteError(f"{where}: {error.message}", hint=error.hint)


def _read(path: Path) -> str:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise SuiteError(f"{path}: no such suite file", hint="check the path") from None
    except OSError as error:
        raise SuiteError(f"{path}: cannot read: {error.strerror}") from None
    if b"\x00" in raw[:8192]:
        raise SuiteError(
            f"{path}: looks like a binary file, not YAML", hint="pass the suite's .yaml file"
        )
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        column = error.start - (raw.rfind(b"\n", 0, error.start) + 1) + 1
        raise SuiteError(
            f"{path}:{line}:{column}: not valid UTF-8 (byte 0x{raw[error.start]:02x})",
            hint="save the suite file as UTF-8",
        ) from None


def _parse(path: Path, text: str) -> Any:
    if not text.strip():
        raise SuiteError(f"{path}: the file is empty", hint=_START_HINT)
    yaml = YAML(typ="rt")
    yaml.allow_duplicate_keys = False
    try:
        return yaml.load(text)
    except MarkedYAMLError as error:
        raise _yaml_error(path, error) from None
    except YAMLError as error:
        raise SuiteError(f"{path}: YAML error: {error}") from None
    except TypeError:
        # ruamel cannot hash a mapping or list used as a key; find it in the node tree.
        raise _complex_key_error(path, yaml.compose(text)) from None
    except RecursionError:
        raise SuiteError(
            f"{path}: {PARSER_DEPTH_MESSAGE}",
            hint="a suite is a few levels deep: look for a run of unclosed [ or {",
        ) from None


def _complex_key_error(path: Path, root: Node | None) -> SuiteError:
    hint = "a key must be a plain name: write `name: value`, not `{...}: value` or `[...]: value`"
    mark = complex_key_mark(root)
    where = f"{path}:{mark[0]}:{mark[1]}" if mark else str(path)
    return SuiteError(f"{where}: a mapping or list is used as a key", hint=hint)


def complex_key_mark(root: Node | None) -> tuple[int, int] | None:
    """Line and column (1-based) of the first mapping or list used as a key, if any.

    ruamel's round-trip loader fails on such a key with a bare TypeError; the composed
    node tree still knows where it is.
    """
    pending = [root] if root is not None else []
    seen: set[int] = set()
    while pending:
        node = pending.pop()
        if id(node) in seen:  # an alias: its node was looked at already
            continue
        seen.add(id(node))
        if isinstance(node, MappingNode):
            for key, value in node.value:
                if isinstance(key, MappingNode | SequenceNode):
                    return key.start_mark.line + 1, key.start_mark.column + 1
                pending.append(value)
        elif isinstance(node, SequenceNode):
            pending.extend(node.value)
    return None


def _yaml_error(path: Path, error: MarkedYAMLError) -> SuiteError:
    problem = error.problem or error.context or "invalid YAML"
    mark, opened = error.problem_mark or error.context_mark, error.context_mark
    hint = "check indentation, and quote strings that contain ': ' or start with { [ * &"
    if "mapping values are not allowed" in problem:
        hint = "is this line indented deeper than the keys beside it? else quote the value"
    if isinstance(error, DuplicateKeyError):
        problem = problem.replace("found duplicate key", "duplicate key", 1)
        hint = "a key may appear only once in a mapping: remove or merge one of them"
    elif "quoted scalar" in (error.context or "") and "end of stream" in problem and opened:
        mark, problem = opened, "unclosed quote: the string that starts here never ends"
        hint = "close the quote, or write long text as a block: `key: |` then indented lines"
    elif "'\\t'" in problem:
        hint = "YAML indents with spaces, not tabs"
    elif error.context and opened is not None:
        problem += f" ({error.context} at {opened.line + 1}:{opened.column + 1})"
    where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
    return SuiteError(f"{where}: YAML syntax error: {problem}", hint=hint)


def _plain(path: Path, tree: Any) -> Any:
    """ruamel's round-trip containers as plain dicts and lists, for pydantic.

    An alias is one shared object until this copies it out, so the tree's expanded size is
    checked first (`fieldeval.yaml_limits`): a bomb is refused before it is copied.
    """
    try:
        check_size(tree)
    except YamlTooLarge as error:
        raise SuiteError(f"{path}: {error.message}", hint=error.hint) from None

    def plain(node: Any) -> Any:
        if isinstance(node, CommentedMap):
            return {str(key): plain(value) for key, value in node.items()}
        if isinstance(node, CommentedSeq):
            return [plain(value) for value in node]
        return node

    return plain(tree)


def _problems(path: Path, tree: CommentedMap, error: ValidationError) -> list[Problem]:
    located: list[tuple[int, int, Problem]] = []
    errors = error.errors(include_url=False)
    failed = [tuple(e["loc"]) for e in errors]
    for item in errors:
        loc = tuple(item["loc"])
        # A list that is "too short" only because its items failed says nothing new.
        if item["type"] == "too_short" and any(o[: len(loc)] == loc != o for o in failed):
            continue
        if item["type"] in ("union_tag_invalid", "union_tag_not_found"):
            loc = (*loc, item["ctx"]["discriminator"].strip("'"))
        path_in_yaml, line, column = _locate(tree, loc)
        problem = Problem(
            location=f"{path}:{line}:{column}",
            field=_dotted(path_in_yaml),
            message=_message(item),
            hint=_hint(item, loc),
        )
        located.append((line, column, problem))
    return [problem for _, _, problem in sorted(located, key=lambda t: t[:2])]


def _locate(tree: CommentedMap, loc: tuple[Any, ...]) -> tuple[tuple[Any, ...], int, int]:
    """`loc` as written in the YAML, and the line and column of its deepest existing node."""
    node: Any = tree
    line, column = 1, 1
    out: list[Any] = []
    skip = -1
    for i, part in enumerate(loc):
        is_map = isinstance(node, CommentedMap)
        if i == skip or (is_map and part not in node and part in _tags(node)):
            continue  # pydantic's step into a tagged union's member
        if is_map and part in CHECK_TYPES and part in node and "type" not in node:
            # `{max_words: x}` is validated as `{type: max_words, value: x}`
            if loc[i + 1 : i + 2] != ("value",):
                continue
            skip = i + 1
        if is_map and part in node:
            line, column = (n + 1 for n in node.lc.key(part))
            node = node[part]
        elif isinstance(node, CommentedSeq) and isinstance(part, int) and part < len(node):
            line, column = (n + 1 for n in node.lc.item(part))
            node = node[part]
        else:
            node = None  # a missing key: named, but located at its parent
        out.append(part)
    return tuple(out), line, column


def _tags(node: CommentedMap) -> tuple[Any, ...]:
    return node.get("provider"), node.get("type")


def _dotted(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


_EXPECTED = {"int": "a whole number", "float": "a number", "bool": "true or false",
             "string": "a string", "dict": "a mapping", "model": "a mapping",
             "tuple": "a list", "list": "a list"}  # fmt: skip


def _message(item: ErrorDetails) -> str:
    kind, message, ctx = item["type"], item["msg"], item.get("ctx", {})
    given = item.get("input")
    shown = f" (got {given!r:.60})" if isinstance(given, str | int | float | bool) else ""
    if kind in ("missing", "union_tag_not_found"):
        return "required field is missing"
    if kind == "extra_forbidden":
        return "unknown key"
    if kind == "union_tag_invalid":
        return f"unknown value {ctx['tag']!r}; expected one of {ctx['expected_tags']}"
    if kind == "value_error":
        return message.removeprefix("Value error, ")
    if kind == "too_short":
        return f"needs at least {ctx['min_length']} item(s)"
    expected = _EXPECTED.get(kind.rsplit("_", 1)[0])
    if expected and kind.endswith(("_type", "_parsing")):
        return f"expected {expected}{shown}"
    return f"{message[0].lower()}{message[1:]}{shown}"


# Sampling parameters people write beside a candidate's keys instead of under `params:`.
_PARAMS = ("temperature", "max_tokens", "max_completion_tokens", "top_p", "top_k", "seed",
           "stop", "reasoning_effort")  # fmt: skip


def _hint(item: ErrorDetails, loc: tuple[Any, ...]) -> str | None:
    if item["type"] == "union_tag_not_found" and loc[0] == "candidates":
        return f"provider is one of: {', '.join(PROVIDERS)}"
    if item["type"] == "union_tag_invalid":
        known = [p for p in PROVIDERS + CHECK_TYPES if f"'{p}'" in item["ctx"]["expected_tags"]]
        guesses = difflib.get_close_matches(str(item["ctx"]["tag"]), known, n=1)
        return f"did you mean {guesses[0]!r}?" if guesses else None
    if item["type"] != "extra_forbidden":
        return None
    unknown = str(loc[-1])
    model = _model_at(loc[:-1])
    allowed = [k for k in model.model_fields if k not in ("type", "value")] if model else []
    guesses = difflib.get_close_matches(unknown, allowed, n=1, cutoff=0.6)
    if guesses:
        return f"did you mean {guesses[0]!r}?"
    tag = model.model_fields.get("provider") if model else None
    if tag is not None:  # a candidate: per provider
        params = difflib.get_close_matches(unknown, _PARAMS, n=1, cutoff=0.6)
        if params:
            return f"model parameters go under `params:`, e.g. `params: {{{params[0]}: ...}}`"
        others = [p for p, m in _CANDIDATES.items() if unknown in m.model_fields]
        if others:
            provider = typing.get_args(tag.annotation)[0]
            return (
                f"{unknown!r} is an option of provider {', '.join(others)},"
                f" not {provider!r}; allowed here: {', '.join(sorted(allowed))}"
            )
    return f"allowed here: {', '.join(sorted(allowed))}" if allowed else None


def _model_at(loc: tuple[Any, ...]) -> type[BaseModel] | None:
    """The model the schema expects at pydantic's `loc` (whose steps include union tags)."""
    options: dict[Any, type[BaseModel]] = {None: Suite}
    for part in loc:
        if isinstance(part, int):
            continue
        if len(options) > 1:  # a tagged union: pydantic's next step is the tag
            if part not in options:
                return None
            options = {None: options[part]}
            continue
        field = next(iter(options.values())).model_fields.get(part)
        if field is None:
            return None
        options = _members(field.annotation)
    return next(iter(options.values())) if len(options) == 1 else None


def _members(annotation: Any) -> dict[Any, type[BaseModel]]:
    """The models inside an annotation (Optional, tuple, Annotated, union), by union tag."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        tags = [annotation.model_fields.get(k) for k in ("provider", "type")]
        tag = next((typing.get_args(t.annotation)[0] for t in tags if t is not None), None)
        return {tag: annotation}
    return {k: m for arg in typing.get_args(annotation) for k, m in _members(arg).items()}


_CANDIDATES = _members(Suite.model_fields["candidates"].annotation)
