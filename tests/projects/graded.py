"""A real graded run to export and read: two Python candidates, checks, a rubric, grades."""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest

from fieldeval.human.session import GradingSession
from fieldeval.records.run import RunInfo
from fieldeval.runner import run_suite
from fieldeval.store import Store
from fieldeval.suite.loader import LoadedSuite, load_suite

FORMULA = '=HYPERLINK("http://evil.example","click")'

SUITE = """\
task:
  name: greet
  description: Greet whoever the text names.
  prompt: "Greet {{ text }}"
dataset:
  path: data.csv
  id: id
  slices: [group]
candidates:
  - {id: polite, provider: python, function: "BOT_MODULE:polite"}
  - {id: sly, provider: python, function: "BOT_MODULE:sly"}
checks:
  - {starts_with: hello, id: greets}
  - {max_words: 3, id: short}
rubric:
  - id: friendly
    question: Is it friendly?
failure_modes:
  - {id: no-greeting, definition: It does not greet., check: greets}
"""

BOT = f"""\
def polite(request):
    return "hello " + request.variables["text"]

def sly(request):
    if request.variables["id"] == "a2":
        return {FORMULA!r}
    if request.variables["id"] == "a3":
        raise RuntimeError("the app fell over")
    return "hi " + request.variables["text"]
"""


@pytest.fixture
def graded_run(tmp_path: Path, store: Store) -> tuple[LoadedSuite, RunInfo]:
    """Two python candidates on three examples, with two people's grades."""
    (tmp_path / "data.csv").write_text(
        "id,text,group\na1,world,x\na2,big wide world,y\na3,you,x\n", encoding="utf-8"
    )
    # A module name of its own: Python caches imports by name across tests.
    module = f"report_bot_{secrets.token_hex(4)}"
    (tmp_path / f"{module}.py").write_text(BOT, encoding="utf-8")
    (tmp_path / "suite.yaml").write_text(SUITE.replace("BOT_MODULE", module), encoding="utf-8")
    loaded = load_suite(tmp_path / "suite.yaml")
    info = run_suite(loaded, store)
    session = GradingSession(store, info.id, loaded.suite.rubric)
    for item in session.items("ana"):
        if (item.candidate_id, item.example_id) == ("polite", "a1"):
            session.record("ana", item.key, "friendly", 1)
        if (item.candidate_id, item.example_id) == ("sly", "a2"):
            session.record("ana", item.key, "friendly", 0, "a link, not a greeting")
    return loaded, info
