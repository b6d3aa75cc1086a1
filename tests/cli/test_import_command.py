"""`fieldeval import` run as a user runs it, then `fieldeval validate` on what it wrote."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.cli.test_cli import assert_user_error, fieldeval

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
PEERS = FIXTURES / "peer-suites"


@pytest.mark.parametrize(
    ("kind", "source", "examples"),
    [
        ("promptfoo", PEERS / "promptfoo-customer-support-rubric", 8),
        ("promptfoo", FIXTURES / "promptfoo-handwritten", 4),
        ("openai-evals", PEERS / "openai-evals-diy-repair" / "diy-repair.yaml", 30),
        ("inspect", PEERS / "inspect-ai" / "security_guide.jsonl", 16),
        ("inspect", PEERS / "inspect-ai" / "bias_detection.jsonl", 100),
        ("deepeval", PEERS / "deepeval" / "goldens.csv", 15),
    ],
)
def test_import_then_validate(tmp_path: Path, kind: str, source: Path, examples: int) -> None:
    result = fieldeval(tmp_path, "import", kind, str(source), "--out", "out")
    assert result.returncode == 0, result.stderr
    assert f"({examples} examples)" in result.stdout
    assert "next: fieldeval validate out/suite.yaml" in result.stdout

    validated = fieldeval(tmp_path, "validate", "out/suite.yaml")
    assert validated.returncode == 0, validated.stderr
    assert f"{examples} examples" in validated.stdout


def test_import_prints_what_was_not_carried(tmp_path: Path) -> None:
    source = FIXTURES / "promptfoo-handwritten"
    result = fieldeval(tmp_path, "import", "promptfoo", str(source))
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "imported-promptfoo" / "suite.yaml").is_file()  # the default folder
    assert "defaultTest assert 2 (javascript)" in result.stdout
    assert "JavaScript code cannot run in fieldeval" in result.stdout


def test_import_refuses_to_overwrite_without_force(tmp_path: Path) -> None:
    source = str(PEERS / "deepeval")
    assert fieldeval(tmp_path, "import", "deepeval", source, "--out", "o").returncode == 0
    again = fieldeval(tmp_path, "import", "deepeval", source, "--out", "o")
    assert_user_error(again)
    assert "already exists" in again.stderr and "--force" in again.stderr
    forced = fieldeval(tmp_path, "import", "deepeval", source, "--out", "o", "--force")
    assert forced.returncode == 0, forced.stderr


def test_import_bad_source_is_a_user_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"input": 3, "target": "x"}\n')
    result = fieldeval(tmp_path, "import", "inspect", str(bad))
    assert_user_error(result)
    assert "bad.jsonl:1: `input` is missing or not a string or message list" in result.stderr
    assert not (tmp_path / "imported-inspect").exists()  # nothing half-written
