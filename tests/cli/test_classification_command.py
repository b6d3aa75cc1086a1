"""A 3-class suite run from the command line: the confusion matrix, the per-class table and
the report's Classification section, as a user reads them."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

from tests.cli.test_cli import fieldeval as run_cli
from tests.projects import sentiment

LABELS = ("negative", "neutral", "positive")


def fieldeval(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    store = [] if args[0] == "validate" else ["--db", str(cwd / "f.db")]
    return run_cli(cwd, *args, *store, timeout=120)


def _table_after(text: str, title: str) -> dict[str, list[str]]:
    """A rich table's body rows under `title`: first cell -> the other cells."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(title))
    rows: dict[str, list[str]] = {}
    for line in lines[start + 1 :]:
        if line.startswith("└"):
            break
        if line.startswith("│"):
            cells = [cell.strip() for cell in line.strip("│").split("│")]
            rows[cells[0]] = cells[1:]
    return rows


def test_run_shows_each_candidate_s_confusion_matrix_and_per_class_rates(tmp_path: Path) -> None:
    suite = sentiment.write(tmp_path)
    done = fieldeval(tmp_path, "run", str(suite))
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "classification: 3 labels, read off the reference column" in out
    # Piped to a log, each candidate's progress is a line (at each tenth on a slow run;
    # this one is fast), ending at all done.
    for candidate in ("steady", "hasty"):
        steps = re.findall(rf"^{candidate}: (\d+)/(\d+) \(\d+%\), \d+:\d\d elapsed  ", out, re.M)
        assert steps and steps[-1][0] == steps[-1][1], out
    for candidate in ("steady", "hasty"):
        expected = sentiment.confusion(candidate)
        matrix = _table_after(out, f"{candidate}: confusion matrix")
        columns = [*LABELS, *(["(unparseable)"] if candidate == "hasty" else [])]
        for label in LABELS:
            assert matrix[label] == [str(expected[(label, c)]) for c in columns], candidate
    # hasty reads 10 of 12 neutral tweets as negative: its neutral recall is 2 of 12, and
    # negative's precision 12 of 22.
    hasty = _table_after(out, "hasty: per class")
    assert re.search(r"\(2/12\)", hasty["neutral"][2])
    assert re.search(r"\(12/22\)", hasty["negative"][1])
    assert "most confused: neutral read as negative (10); positive read as (unparseable) (1)" in out
    by_airline = _table_after(out, "classification by airline")
    assert set(by_airline) == set(sentiment.AIRLINES)

    done = fieldeval(tmp_path, "report", str(suite), "--markdown", "report.md")
    assert done.returncode == 0, done.stderr
    report = (tmp_path / "report.md").read_text(encoding="utf-8")
    section = report.split("### Classification", 1)[1]
    assert "| neutral | 10 | 2 | 0 | 0 |" in section.split("#### hasty", 1)[1]
    assert "| neutral | 0 | 11 | 1 |" in section.split("#### steady", 1)[1]
    assert "Most confused: neutral read as negative (10)" in section
    # The HTML report, written beside it, has the same matrix.
    page = (tmp_path / "fieldeval-report.html").read_text(encoding="utf-8")
    table = page.split('<table class="confusion" data-candidate="hasty">', 1)[1]
    row = table.split('<tr data-reference="neutral">', 1)[1].split("</tr>", 1)[0]
    assert re.findall(r'<td class="num">(\d+)</td>', row) == ["10", "2", "0", "0"]

    # The audit: `-o` on export and init, but only `--html` on report.
    short = fieldeval(tmp_path, "report", str(suite), "-o", "short.html")
    assert short.returncode == 0, short.stderr
    again = (tmp_path / "short.html").read_text(encoding="utf-8")
    matrix = again.split('<table class="confusion" data-candidate="hasty">', 1)[1]
    assert matrix.split("</table>", 1)[0] == table.split("</table>", 1)[0]


def test_labels_false_turns_the_view_off_and_bad_labels_are_refused(tmp_path: Path) -> None:
    suite = sentiment.write(tmp_path, labels=False)
    done = fieldeval(tmp_path, "run", str(suite))
    assert done.returncode == 0, done.stderr
    assert "confusion matrix" not in done.stdout and "classification" not in done.stdout

    broken = sentiment.write(tmp_path, labels=["negative", "Negative"])
    done = fieldeval(tmp_path, "validate", str(broken))
    assert done.returncode == 2
    assert "suite.yaml" in done.stderr and "labels" in done.stderr
    assert "read the same" in done.stderr

    spec = json.loads(broken.read_text())
    spec["labels"] = ["negative", "neutral", "positive"]
    del spec["dataset"]["reference"]
    broken.write_text(json.dumps(spec))
    done = fieldeval(tmp_path, "validate", str(broken))
    assert done.returncode == 2
    assert "labels: needs dataset.reference" in done.stderr
