"""Fuzzing templates, as a suite author's typos and tricks would write them (in a prompt, a
check, an HTTP app's body and a rubric criterion): whatever comes out, `render` returns text
or raises a `SuiteError`, and `validate` a `UserError`; never another exception.
FIELDEVAL_FUZZ_EXAMPLES raises the count for a long run."""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import fieldeval
from fieldeval.errors import SuiteError, UserError
from fieldeval.suite.template import render

EXAMPLES = int(os.environ.get("FIELDEVAL_FUZZ_EXAMPLES", "150"))
FIELDS = {"text": "a fee was charged", "n": 3, "items": ["a", "b"], "empty": ""}

TOKENS = [
    "{{", "}}", "{%", "%}", "{#", "#}", " ", "text", "n", "items", "empty", "nope", "10", "0",
    "-1", "2.5", "'a'", '"%s"', "'{:>9}'", "*", "**", "/", "//", "%", "+", "-", "~", "|", "(",
    ")", "[", "]", ".", ",", ":", "=", "==", "if", "else", "endif", "for", "in", "endfor",
    "set", "macro", "endmacro", "call", "include", "import", "range(", "cycler(", "joiner(",
    "namespace(", "lipsum(", "dict(", "upper", "center(", "indent(", "wordwrap(", "format(",
    "truncate(", "join", "replace(", "attr(", "int", "float", "length", "first", "random",
    "__class__", "__mro__", "mro", "__globals__", "items", "keys", "loop.index", "super()",
    "self", "999999999", "10**9", "\n", "\\",
]  # fmt: skip
templates = st.lists(st.sampled_from(TOKENS), min_size=1, max_size=14).map("".join)


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(source=templates)
def test_any_template_renders_or_is_a_suite_error(source: str) -> None:
    try:
        shown = render(source, FIELDS, where="prompt")
    except SuiteError:
        return
    assert isinstance(shown, str)


@settings(
    max_examples=max(EXAMPLES // 3, 20),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(prompt=templates, check=templates, body=templates, question=templates)
def test_any_template_in_a_suite_is_a_user_error_at_validate(
    prompt: str, check: str, body: str, question: str
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        where = Path(folder)
        (where / "data.csv").write_text("id,text\na,one fee\nb,two fees\n", encoding="utf-8")
        suite = {
            "task": {"name": "fuzz", "description": "Fuzz.", "prompt": prompt},
            "dataset": {"path": "data.csv", "id": "id"},
            "candidates": [
                {"id": "bot", "provider": "command", "command": ["cat"]},
                {
                    "id": "app",
                    "provider": "http",
                    "url": "http://127.0.0.1:9/",
                    "body": {"q": body},
                },
            ],
            "checks": [{"equals": check}, {"contains": [check, "x"]}],
            # A criterion's text goes to the judge inside a fence, as data: never rendered.
            "rubric": [{"id": "fuzzed", "question": question or "?", "pass_example": question}],
        }
        (where / "suite.yaml").write_text(json.dumps(suite), encoding="utf-8")
        with contextlib.suppress(UserError):  # any other exception fails the test
            fieldeval.validate(where / "suite.yaml")
