"""What every importer shares: the result it builds, reading sources, writing files safely."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from fieldeval.errors import DataError, SuiteError, UserError

SUITE_FILE = "suite.yaml"
DATA_FILE = "data.jsonl"

# The candidate added when the source names no model: the bundled model runs offline.
PLACEHOLDER_CANDIDATE: dict[str, Any] = {
    "id": "local-gemma",
    "provider": "local",
    "params": {"max_tokens": 200, "temperature": 0},
}


@dataclass(frozen=True)
class NotCarried:
    """Something in the source that the suite does not carry, and why."""

    what: str
    reason: str


@dataclass
class ImportResult:
    """A suite (as a plain dict), its dataset rows, and an account of what was carried."""

    kind: str
    source: Path
    suite: dict[str, Any]
    rows: list[dict[str, Any]]
    carried: list[str] = field(default_factory=list)
    not_carried: list[NotCarried] = field(default_factory=list)

    def skip(self, what: str, reason: str) -> None:
        """Record something not carried over, so it is listed rather than dropped."""
        self.not_carried.append(NotCarried(what, reason))


def slug(text: str, *, default: str = "imported") -> str:
    """An id made of letters, digits, - _ . (the suite's id pattern)."""
    cleaned = re.sub(r"[^A-Za-z0-9_.\-]+", "-", text.strip()).strip("-._")
    return cleaned[:60] or default


def free_name(name: str, taken: set[str]) -> str:
    """`name`, or `name_2`, `name_3`... when a field by that name already exists."""
    candidate, n = name, 1
    while candidate in taken:
        n += 1
        candidate = f"{name}_{n}"
    taken.add(candidate)
    return candidate


def last_user_text(messages: list[dict[str, Any]]) -> str:
    """The last user message's text: what reports show as the example's input."""
    for message in reversed(messages):
        if message.get("role") == "user":
            return content_text(message.get("content"))
    return ""


def content_text(content: Any) -> str:
    """Message content as text: a string, or the text parts of a content-parts list."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(
            str(part.get("text", "")) for part in content if isinstance(part, dict)
        ).strip()
    return "" if content is None else str(content)


def check_messages(value: Any, where: str) -> list[dict[str, Any]]:
    """A chat message list with string contents, or a DataError saying what is wrong."""
    if not isinstance(value, list) or not value:
        raise DataError(f"{where}: expected a non-empty list of chat messages")
    out = []
    for message in value:
        if not isinstance(message, dict) or message.get("role") not in (
            "system",
            "user",
            "assistant",
            "tool",
        ):
            raise DataError(
                f"{where}: a message is not {{role, content}}: {message!r:.80}",
                hint="roles are system, user, assistant or tool",
            )
        out.append({"role": message["role"], "content": content_text(message.get("content"))})
    return out


# --- reading sources -------------------------------------------------------------------


def read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise DataError(f"no such file: {path}", hint="check the path") from None
    except UnicodeDecodeError as error:
        raise DataError(
            f"{path}: not valid UTF-8 at byte {error.start}", hint="save the file as UTF-8"
        ) from None
    except OSError as error:
        raise DataError(f"cannot read {path}: {error.strerror}") from None


def read_yaml(path: Path) -> Any:
    """A YAML file as plain Python data; syntax errors name the line."""
    from ruamel.yaml import YAML
    from ruamel.yaml.error import MarkedYAMLError, YAMLError

    from fieldeval.yaml_limits import load_bounded

    text = read_text(path)
    try:
        # Measured before an importer walks (and so expands) its aliases.
        return load_bounded(path, lambda: YAML(typ="safe", pure=True).load(text), DataError)
    except MarkedYAMLError as error:
        mark = error.problem_mark
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
        raise DataError(
            f"{where}: YAML syntax error: {error.problem}",
            hint="check indentation and quoting",
        ) from None
    except YAMLError as error:
        raise DataError(f"{path}: YAML error: {error}") from None


def read_jsonl(path: Path) -> list[tuple[int, dict[str, Any]]]:
    """Each non-blank line's JSON object, with its line number."""
    rows = []
    for number, line in enumerate(read_text(path).splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as error:
            raise DataError(
                f"{path}:{number}: not valid JSON: {error.msg} (column {error.colno})",
                hint="each line of a JSONL file is one JSON object",
            ) from None
        if not isinstance(row, dict):
            raise DataError(f"{path}:{number}: expected a JSON object, found {row!r:.40}")
        rows.append((number, row))
    if not rows:
        raise DataError(f"{path} has no rows", hint="the file holds no JSON objects")
    return rows


def read_csv(path: Path) -> list[tuple[int, dict[str, str]]]:
    """Each CSV row as a dict of its header's columns, with the line it starts on."""
    reader = csv.DictReader(io.StringIO(read_text(path), newline=""))
    rows: list[tuple[int, dict[str, str]]] = []
    start = 2
    for row in reader:
        if None in row:
            raise DataError(
                f"{path}:{start}: the row has more cells than the header has columns",
                hint="quote cells that contain commas",
            )
        rows.append((start, {key: value or "" for key, value in row.items()}))
        start = reader.line_num + 1
    if not rows:
        raise DataError(f"{path} has no rows", hint="the file holds only a header, or nothing")
    return rows


def pick_file(source: Path, names: tuple[str, ...], suffixes: tuple[str, ...], kind: str) -> Path:
    """The source file itself, or the one file in a folder that fits."""
    if source.is_file():
        return source
    if not source.is_dir():
        raise UserError(f"no such file or folder: {source}", hint="check the path")
    for name in names:
        if (source / name).is_file():
            return source / name
    found = sorted(p for p in source.iterdir() if p.is_file() and p.suffix.lower() in suffixes)
    if len(found) == 1:
        return found[0]
    listed = ", ".join(p.name for p in found) or "none"
    raise UserError(
        f"{source}: cannot tell which file to import as {kind} ({len(found)} fit: {listed})",
        hint=f"name the file itself, e.g. `fieldeval import {kind} {source / 'FILE'}`",
    )


# --- writing ---------------------------------------------------------------------------


def check_suite(result: ImportResult) -> None:
    """The built suite must validate; a failure here is an importer bug, said as one."""
    from fieldeval.suite.schema import Suite

    try:
        Suite.model_validate(result.suite)
    except ValidationError as error:
        raise SuiteError(
            f"the suite imported from {result.source} does not validate: {error}",
            hint="this is a bug in the importer; please report it with the source file",
        ) from None


def render_suite(result: ImportResult) -> str:
    """The suite as YAML, headed by a comment listing what was not carried over."""
    from ruamel.yaml import YAML
    from ruamel.yaml.scalarstring import LiteralScalarString

    def blocks(node: Any) -> Any:
        # Multi-line text (prompts, descriptions) reads best as `|` blocks.
        if isinstance(node, dict):
            return {key: blocks(value) for key, value in node.items()}
        if isinstance(node, list):
            return [blocks(value) for value in node]
        if isinstance(node, str) and "\n" in node.strip():
            return LiteralScalarString(node)  # `|-` when it has no final newline
        if isinstance(node, str) and len(node) > 80:
            return _folded(node)
        return node

    yaml = YAML(typ="rt")
    yaml.width = 4096  # long text is folded above, at spaces, where it reads back the same
    yaml.indent(mapping=2, sequence=4, offset=2)
    out = io.StringIO()
    yaml.dump(blocks(result.suite), out)
    header = [f"# Imported by `fieldeval import {result.kind}` from {result.source.name}."]
    if result.not_carried:
        header.append("# Not carried over (see docs/import.md):")
        for item in result.not_carried:
            text = f"{item.what}: {item.reason}".replace("\n", " ")
            header.append(f"#   - {text}")
    else:
        header.append("# Everything in the source was carried over.")
    return "\n".join(header) + "\n\n" + out.getvalue()


def _folded(text: str) -> Any:
    """Long one-line text as a `>-` block folded at spaces, reading back unchanged."""
    import textwrap

    from ruamel.yaml.scalarstring import FoldedScalarString

    lines = textwrap.wrap(text, 88, break_long_words=False, break_on_hyphens=False)
    if " ".join(lines) != text or any(line != line.strip() for line in lines):
        return text  # odd spacing would not survive folding: leave it to the dumper
    folded = FoldedScalarString(text)
    positions, at = [], 0
    for line in lines[:-1]:
        at += len(line)
        positions.append(at)
        at += 1
    folded.fold_pos = positions
    return folded


def render_rows(rows: list[dict[str, Any]]) -> str:
    return "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)


def write_files(files: dict[Path, str], *, force: bool) -> None:
    """Write every file or none: each to a temp file first, then all renamed into place."""
    existing = [path for path in files if path.exists()]
    if existing and not force:
        raise UserError(
            f"{existing[0]} already exists",
            hint="pass --force to overwrite it, or choose another folder with --out",
        )
    temps: dict[Path, Path] = {}
    try:
        for path, text in files.items():
            path.parent.mkdir(parents=True, exist_ok=True)
            handle, name = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
            temps[path] = Path(name)
            with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as stream:
                stream.write(text)
        for path, temp in temps.items():
            os.replace(temp, path)
    except OSError as error:
        raise UserError(f"cannot write {error.filename}: {error.strerror}") from None
    finally:
        for temp in temps.values():
            temp.unlink(missing_ok=True)
