"""The decision report's test run: three python candidates, priced, with a leaderboard.

    cheap   27/40 pass, cheap per token     (the one to recommend: tied with pricey, cheaper)
    pricey  31/40 pass, 16x the price        (cannot be separated from cheap with n=40)
    weak     4/40 pass, cheapest             (the public leaderboard puts it first)

Every candidate answers example e39 with hostile markup, which a critical failure mode
catches; slice values and the task statement carry markup and pipes as well.
"""

from __future__ import annotations

import secrets
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from fieldeval.load.session import run_load
from fieldeval.records.grade import Grade
from fieldeval.runner import run_suite
from fieldeval.store import Store
from fieldeval.store.grade_store import GradeStore
from fieldeval.suite.loader import LoadedSuite, load_suite

PAYLOAD = (
    "<script>window.__pwned=1</script>"
    '<img src=x onerror="window.__pwned=1">'
    '<a href="javascript:window.__pwned=1">click me</a> | col'
)
HOSTILE_SLICE = "<script>window.__pwned=1</script>|x"
N = 40
USAGE = {"input_tokens": 1000, "output_tokens": 200}

BOT = f"""\
import time

from fieldeval.records.completion import Completion, Usage

PAYLOAD = {PAYLOAD!r}


def _answer(request, passing):
    i = int(request.variables["id"][1:])
    if i == 39:
        text = PAYLOAD
    elif i % 10 in passing:
        text = "OK: " + request.variables["text"]
    else:
        text = "no idea"
    # Exact usage, as an API reports it; 3 ms to answer, the first token 1 ms in.
    time.sleep(0.003)
    return Completion(
        text=text,
        usage=Usage(input_tokens={USAGE["input_tokens"]}, output_tokens={USAGE["output_tokens"]}),
        ttft_s=0.001,
    )


def cheap(request):
    return _answer(request, {{3, 4, 5, 6, 7, 8, 9}})


def pricey(request):
    return _answer(request, {{2, 3, 4, 5, 6, 7, 8, 9}})


def weak(request):
    return _answer(request, {{5}})
"""

SUITE = """\
task:
  name: decide
  description: "Answer the <b>ticket</b> | say OK first"
  prompt: "{{ text }}"
dataset: {path: data.csv, id: id, input: text, slices: [group]}
candidates:
  - {id: cheap, provider: python, function: "BOT:cheap",
     price: {input_per_mtok: 0.15, output_per_mtok: 0.60}}
  - {id: pricey, provider: python, function: "BOT:pricey",
     price: {input_per_mtok: 2.50, output_per_mtok: 10.0}}
  - {id: weak, provider: python, function: "BOT:weak",
     price: {input_per_mtok: 0.10, output_per_mtok: 0.40}}
checks:
  - {contains: "OK", id: answers}
  - {not_contains: "<script>", id: no-markup}
rubric:
  - {id: polite, question: Is it polite?}
failure_modes:
  - {id: no-answer, definition: It does not answer., severity: major, check: answers}
  - {id: injects-markup, definition: It writes executable markup., severity: critical,
     check: no-markup}
volume: {requests_per_month: 300000}
leaderboards:
  - name: "Arena <b>board</b> | v2"
    source: "<script>window.__pwned=1</script> scores of 2025-10"
    scores: {weak: 1300, pricey: 1250, cheap: 1200}
load:
  users: [1, 2]
  warmup_s: 0.1
  duration_s: 2
  cooldown_s: 0
  # Shown met on what a busy machine sends in 2 s (hundreds of 3 ms answers): a p95 bound
  # needs 72 requests, 0 errors under 25% need 12 (under the default 1%, 381).
  targets: {e2e_p95_ms: 5000, max_error_rate: 0.25}
"""


@dataclass(frozen=True)
class DecisionRun:
    loaded: LoadedSuite
    db: Path
    run_id: str
    load_run_id: str

    def open(self) -> Store:
        return Store.open(f"sqlite:///{self.db}")


def make_run(folder: Path) -> DecisionRun:
    """Run the suite, load-test `cheap`, and have the judge grade three outputs."""
    rows = ["id,text,group"]
    for i in range(N):
        group = HOSTILE_SLICE if i % 4 == 0 else "plain"
        text = "PAYLOAD please" if i == 39 else f"ticket {i}"
        rows.append(f'e{i:02d},{text},"{group}"')
    (folder / "data.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    # A module name of its own: Python caches imports by name across tests.
    module = f"decision_bot_{secrets.token_hex(4)}"
    (folder / f"{module}.py").write_text(BOT, encoding="utf-8")
    (folder / "suite.yaml").write_text(SUITE.replace("BOT", module), encoding="utf-8")
    loaded = load_suite(folder / "suite.yaml")
    db = folder / "results.db"
    store = Store.open(f"sqlite:///{db}")
    try:
        # Their own thread: asyncio.run must not share one with Playwright's event loop.
        with ThreadPoolExecutor(1) as pool:
            info = pool.submit(run_suite, loaded, store).result()
            load = pool.submit(run_load, loaded, store, candidate_id="cheap").result()
        criterion = loaded.suite.rubric[0]
        grades = GradeStore(store)
        grades.save_criteria([(criterion.version, criterion.id, criterion.model_dump(mode="json"))])
        for example_id in ("e03", "e04", "e05"):
            grades.save_grade(
                Grade(
                    run_id=info.id,
                    candidate_id="cheap",
                    example_id=example_id,
                    repeat=0,
                    criterion_id=criterion.id,
                    criterion_version=criterion.version,
                    grader="judge-model",
                    grader_kind="judge",
                    value=1,
                )
            )
    finally:
        store.close()
    return DecisionRun(loaded, db, info.id, load.info.id)
