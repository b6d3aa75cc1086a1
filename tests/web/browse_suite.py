"""The suite the browsing tests read: two runs of two candidates on 57 examples.

The second run flips some of cand-beta's examples both ways; grades, a label and a price give
the run page something in every section. Hostile markup is in an input (h56) and in an output
(cand-alpha on x55).
"""

from __future__ import annotations

import csv
import secrets
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from tests.web.helpers import PAYLOAD

from fieldeval.records.grade import FailureLabel, Grade
from fieldeval.runner import run_suite
from fieldeval.store import Store
from fieldeval.store.grade_store import GradeStore
from fieldeval.suite.loader import load_suite
from fieldeval.suite.rubric import Criterion

ALPHA, BETA = "cand-alpha", "cand-beta"
HOSTILE_INPUT = "h56"
HOSTILE_OUTPUT = "x55"
SECOND_RUN_FLAG = "second-run"  # a file next to the bot while the second run is made
BOT = f"""\
import re
from pathlib import Path

PAYLOAD = {PAYLOAD!r}
SECOND = Path(__file__).with_name({SECOND_RUN_FLAG!r})


def alpha(request):
    text = request.variables["text"]
    if "CRASH" in text:
        raise RuntimeError("the app fell over <b>here</b>")
    if "PAYLOAD" in text:
        return PAYLOAD
    if "<script" in text:
        return "Summary: the message held markup"
    if request.variables["topic"] == "billing":
        return "Summary: " + text + " and then a great many more words than anyone asked for"
    return "Summary: " + text


def beta(request):
    text = request.variables["text"]
    digits = re.findall(r"\\d+", text)
    n = int(digits[-1]) if digits else 0
    echoes = n % 5 == 0
    if SECOND.exists() and n % 3 == 0:
        echoes = not echoes  # the second run regresses on some examples and fixes others
    return ("The customer writes: " if echoes else "In short: ") + text
"""
SUITE = """\
task:
  name: browse
  description: Summarise the customer's message in one short line.
  prompt: "{{ text }}"
dataset: {path: data.csv, id: id, input: text, reference: ref, slices: [topic, edge]}
candidates:
  - id: cand-alpha
    provider: python
    function: "browse_bot:alpha"
    price: {input_per_mtok: 1.0, output_per_mtok: 2.0}
  - {id: cand-beta, provider: python, function: "browse_bot:beta"}
checks:
  - {max_words: 12, id: short}
  - {not_contains: ["customer writes"], ignore_case: true, id: no-echo}
  - {not_contains: ["<script"], id: no-markup}
rubric:
  - id: faithful
    question: Does the output say only what the customer said?
volume: {requests_per_month: 1000}
failure_modes:
  - {id: too-long, definition: Runs past the length asked for., severity: minor, check: short}
  - {id: echoes, definition: Repeats the message., severity: major, check: no-echo}
  - {id: markup, definition: Writes markup or script., severity: critical, check: no-markup}
  - {id: unfaithful, definition: Says what was not said., severity: major, criterion: faithful}
  - {id: rude, definition: Talks down to the customer., severity: cosmetic}
"""


def rows() -> list[tuple[str, str, str, str, str]]:
    """(id, text, reference, topic, edge) for every example, in dataset order."""
    found = []
    for i in range(1, 21):
        found.append((f"b{i}", f"Refund for charge {i}", f"refund {i}", "billing", ""))
    for i in range(21, 41):
        edge = "hostile" if i % 7 == 0 else ""
        found.append((f"c{i}", f"Card question {i}", f"card {i}", "cards", edge))
    for i in range(41, 55):
        edge = "truncated" if i % 4 == 0 else ""
        found.append((f"l{i}", f"Loan payment 100% late {i}", f"loan {i}", "loans", edge))
    found.append((HOSTILE_OUTPUT, "PAYLOAD please 55", "", "cards", ""))
    found.append((HOSTILE_INPUT, f"{PAYLOAD}\nwhat now 56", "", "cards", "hostile"))
    found.append(("z57", "CRASH now 57", "", "loans", ""))
    return found


@dataclass(frozen=True)
class BrowseRuns:
    suite: Path
    db_url: str
    first: str  # run ids, in the order made
    second: str

    @property
    def db(self) -> Path:
        """The SQLite file (the web tests serve and copy it)."""
        assert self.db_url.startswith("sqlite:///"), self.db_url
        return Path(self.db_url.removeprefix("sqlite:///"))


def make_runs(folder: Path, db_url: str | None = None) -> BrowseRuns:
    """Write the suite, make both runs, and grade and label the second (SQLite by default)."""
    with (folder / "data.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "text", "ref", "topic", "edge"])
        writer.writerows(rows())
    # A module name of its own: Python keeps the first `browse_bot` it imports, and its
    # second-run flag would then be another folder's.
    module = f"browse_bot_{secrets.token_hex(4)}"
    (folder / f"{module}.py").write_text(BOT, encoding="utf-8")
    (folder / "suite.yaml").write_text(SUITE.replace("browse_bot:", f"{module}:"), encoding="utf-8")
    loaded = load_suite(folder / "suite.yaml")
    db_url = db_url or f"sqlite:///{folder / 'browse.db'}"
    store = Store.open(db_url)
    try:
        # Its own thread: Playwright's sync API may keep an event loop running in this one.
        with ThreadPoolExecutor(1) as pool:
            first = pool.submit(run_suite, loaded, store, use_cache=False).result()
            (folder / SECOND_RUN_FLAG).touch()
            second = pool.submit(run_suite, loaded, store, use_cache=False).result()
        _grade(store, loaded.suite.rubric[0], second.id)
    finally:
        store.close()  # checkpoints SQLite's WAL, so a copy of the file has everything
    assert first.status == second.status == "finished"
    return BrowseRuns(folder / "suite.yaml", db_url, first.id, second.id)


def _grade(store: Store, criterion: Criterion, run_id: str) -> None:
    """The judge fails c21 and c22; a person passes c22 (over the judge) and fails c24."""
    grades = GradeStore(store)
    version = criterion.version
    grades.save_criteria([(version, criterion.id, criterion.model_dump(mode="json"))])
    for example, value, reason in (
        ("c21", 0, "It adds a claim <i>never</i> made."),
        ("c22", 0, "It adds a claim."),
        ("c23", 1, "Faithful."),
        ("c24", 1, "Faithful."),
    ):
        grades.save_grade(
            Grade(run_id, ALPHA, example, 0, "faithful", version, "judge-1", "judge", value, reason)
        )
    for example, value in (("c22", 1), ("c24", 0)):
        grades.save_grade(
            Grade(run_id, ALPHA, example, 0, "faithful", version, "ana", "human", value, "read it")
        )
    label = FailureLabel(run_id, BETA, "c30", 0, "rude", "ana", note="curt")
    grades.replace_failure_labels(run_id, "ana", [label])
