"""The suite's judge reads the answers the rules leave, against the test server speaking
the OpenAI protocol: what it finds is stored once, read by every view, and a second pass
asks nothing."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from ruamel.yaml import YAML
from tests.cli.test_cli import fieldeval
from tests.doubles.fixtures import ServerHandle, start_server

from fieldeval.abstention.outcomes import judged_replies
from fieldeval.store import Store
from fieldeval.store.edge_store import EdgeStore
from fieldeval.store.grade_store import GradeStore

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "abstention"
RULES = [["$1600.00", "abstains"], ["$350.00", "broke_format"]]


@pytest.fixture(scope="module")
def server() -> Iterator[ServerHandle]:
    config = {"judge": {"edge": {"rules": RULES, "default": "correct"}}}
    with start_server("--config", json.dumps(config)) as handle:
        yield handle


def _project(folder: Path, server: ServerHandle) -> Path:
    for path in FIXTURE.iterdir():
        shutil.copy(path, folder / path.name)
    yaml = YAML()
    suite = yaml.load((folder / "suite.yaml").read_text(encoding="utf-8"))
    suite["judge"] = {
        "candidate": {
            "id": "judge",
            "provider": "openai",
            "model": "judge-model",
            "base_url": server.url,
            "api_key_env": None,
            "timeout_s": 5,
        }
    }
    suite["abstention"]["judge"] = True
    with (folder / "suite.yaml").open("w", encoding="utf-8") as handle:
        yaml.dump(suite, handle)
    return folder


def test_the_judge_reads_only_what_the_rules_leave_and_is_asked_once(
    tmp_path: Path, server: ServerHandle
) -> None:
    folder = _project(tmp_path, server)
    db = str(folder / "f.db")
    assert fieldeval(folder, "run", "suite.yaml", "--db", db).returncode == 0

    first = fieldeval(folder, "abstention", "suite.yaml", "--db", db, "--outputs")
    assert first.returncode == 0, first.stderr
    # 32 outputs, 10 the rules found not answering: the judge reads the other 22.
    assert "the judge read 22 answers (1 did not answer after all); 0 read earlier" in first.stdout
    assert "10 the rules settled" in first.stdout
    # the judge found one abstention and one broken format
    assert "found 10 by rule, 2 by the judge, 0 by format" in first.stdout

    store = Store.open(db)
    try:
        run = store.latest_run("complaint-amount")
        assert run is not None
        judged = judged_replies(EdgeStore(store).outcomes(run.id))
        calls = GradeStore(store).judge_calls(run.id)
    finally:
        store.close()
    assert len(judged) == 22 and len(calls) == 22
    assert judged[("eager", "11740916", 0)].kind == "abstains"
    assert judged[("eager", "10522069", 0)].kind == "broke_format"
    for line in first.stdout.splitlines():
        if "eager/11740916#0" in line:
            assert "abstained" in line and "judge" in line
        if "eager/10522069#0" in line:
            assert "broke_format" in line and "judge" in line

    again = fieldeval(folder, "abstention", "suite.yaml", "--db", db)
    assert again.returncode == 0, again.stderr
    assert "the judge read 0 answers (0 did not answer after all); 22 read earlier" in again.stdout

    # The decision report reads the same outcomes: eager's two answers to redacted
    # complaints the judge moved are no longer "answered the unanswerable".
    report = fieldeval(
        folder, "report", "suite.yaml", "--db", db, "--markdown", str(folder / "r.md")
    )
    assert report.returncode == 0, report.stderr
    text = (folder / "r.md").read_text(encoding="utf-8")
    assert "| answered the unanswerable | 12% [2%–47%] (1/8) | 50% [22%–78%] (4/8) |" in text
    assert "| broke format | 0% [0%–19%] (0/16) | 6% [1%–28%] (1/16) |" in text


def test_a_judge_pass_without_a_judge_is_refused(tmp_path: Path) -> None:
    for path in FIXTURE.iterdir():
        shutil.copy(path, tmp_path / path.name)
    suite = tmp_path / "suite.yaml"
    suite.write_text(
        suite.read_text(encoding="utf-8").replace(
            "answerable: has_answer", "answerable: has_answer\n  judge: true"
        ),
        encoding="utf-8",
    )
    checked = fieldeval(tmp_path, "validate", "suite.yaml")
    assert checked.returncode == 2
    assert "abstention.judge: true needs a `judge:` section" in checked.stderr
