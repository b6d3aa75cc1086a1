"""The suite loader on arbitrary input: a located SuiteError or a suite, never a crash."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from fieldeval.errors import SuiteError
from fieldeval.suite.loader import load_suite

VALID = """\
task: {name: t, description: say hi, prompt: "{{ text }}"}
dataset: {path: data.csv, id: id}
candidates:
  - {id: a, provider: local, params: {max_tokens: 10}, concurrency: 2}
checks:
  - {max_words: 100}
"""

_YAMLISH = st.sampled_from(
    [":", "-", " ", "\n", "{", "}", "[", "]", "'", '"', "#", "&a", "*a", "!!", "\t", "?", "|",
     ">", "task", "dataset", "candidates", "checks", "provider", "local", "max_words", "1",
     "null", "true", "\x00", "\ufeff", "é"]
)  # fmt: skip


def _load(content: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "suite.yaml"
        path.write_bytes(content)
        try:
            load_suite(path)
        except SuiteError as error:
            assert str(path) in str(error)  # every problem names the file


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=300))
def test_arbitrary_bytes(content: bytes) -> None:
    _load(content)


@settings(max_examples=300, deadline=None)
@given(st.lists(_YAMLISH, max_size=60).map("".join))
def test_yaml_like_noise(text: str) -> None:
    _load(text.encode("utf-8"))


@settings(max_examples=300, deadline=None)
@given(
    st.integers(0, len(VALID) - 1), st.integers(1, 20), st.sampled_from(["", " ", "x", ":", "\n"])
)
@example(start=175, length=7, filler="")  # once turned a flow mapping into a key: TypeError
def test_a_valid_suite_cut_or_corrupted_anywhere(start: int, length: int, filler: str) -> None:
    _load((VALID[:start] + filler + VALID[start + length :]).encode("utf-8"))
