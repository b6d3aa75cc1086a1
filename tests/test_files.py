"""`write_atomically`: whole or not at all, and readable like any file the user writes."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from fieldeval.files import write_atomically


def test_the_file_gets_the_mode_the_umask_allows_not_a_private_one(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        write_atomically(tmp_path / "report.html", "<p>hi</p>")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "report.html").stat().st_mode) == 0o644
    assert (tmp_path / "report.html").read_text(encoding="utf-8") == "<p>hi</p>"


def test_an_error_keeps_the_old_file_and_leaves_no_temp_file(tmp_path: Path) -> None:
    target = tmp_path / "export.csv"
    target.write_text("old\r\n", encoding="utf-8")
    with pytest.raises(UnicodeEncodeError):
        write_atomically(target, "new \ud800")  # a lone surrogate cannot be written as UTF-8
    assert target.read_bytes() == b"old\r\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["export.csv"]
