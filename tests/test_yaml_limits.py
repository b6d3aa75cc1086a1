"""Every YAML fieldeval reads refuses an alias bomb and absurd nesting with the file named.

The suite loader has its own tests (tests/suite/test_loader.py); here the other readers: the
failure-mode coding file and other tools' configs read by the importers.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from fieldeval.errors import UserError
from fieldeval.failures.coding_file import read_coding
from fieldeval.importers.common import read_yaml
from fieldeval.yaml_limits import MAX_VALUES, YamlTooLarge, check_size

READERS: dict[str, Callable[[Path], Any]] = {"coding file": read_coding, "importer": read_yaml}


def alias_bomb(levels: int = 9) -> str:
    """The "billion laughs": each anchor a list of ten aliases to the one before."""
    lines = ['a0: &a0 ["lol"]']
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, levels)]
    return "failure_modes:\n  - &m {id: m, name: m}\n" + "\n".join(lines) + "\n"


@pytest.mark.parametrize("reader", READERS.values(), ids=READERS.keys())
def test_an_alias_bomb_is_refused_before_it_is_walked(
    tmp_path: Path, reader: Callable[[Path], Any]
) -> None:
    path = tmp_path / "file.yaml"
    path.write_text(alias_bomb(), encoding="utf-8")  # under 700 bytes, 10^8 values expanded
    started = time.thread_time()

    with pytest.raises(UserError) as raised:
        reader(path)

    assert str(path) in raised.value.message and "aliases" in raised.value.message
    assert raised.value.hint is not None
    # Expanded, the walk would take minutes; measured, it stops after MAX_VALUES values.
    assert time.thread_time() - started < 30


@pytest.mark.parametrize("reader", READERS.values(), ids=READERS.keys())
@pytest.mark.parametrize("opener", ["[", "{a: "])
def test_nesting_too_deep_for_the_parser_is_a_user_error(
    tmp_path: Path, reader: Callable[[Path], Any], opener: str
) -> None:
    path = tmp_path / "file.yaml"
    path.write_text("failure_modes: " + opener * 20_000 + "\n", encoding="utf-8")

    with pytest.raises(UserError) as raised:
        reader(path)

    assert str(path) in raised.value.message and "nested" in raised.value.message


def test_the_size_counts_every_alias_as_expanded() -> None:
    shared = ["x"] * 1000
    check_size({"a": [shared] * 99})  # 99,000 strings plus their lists: within the limit
    with pytest.raises(YamlTooLarge, match=f"more than {MAX_VALUES:,} values"):
        check_size({"a": [shared] * 101})
    deep: list[Any] = []
    cursor = deep
    for _ in range(150):
        cursor.append([])
        cursor = cursor[0]
    with pytest.raises(YamlTooLarge, match="nested more than 100 levels"):
        check_size(deep)
