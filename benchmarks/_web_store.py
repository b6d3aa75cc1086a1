"""A large store for the web benchmark: two runs of a suite, written through the Store API.

Each run has `candidates × examples` outputs with check results (some failing, some calls
errored), slices (topic, edge), judge grades and a person's grades on part of them, and
failure labels; the second run flips some examples, so the comparison has work to do.
"""

from __future__ import annotations

import csv
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from fieldeval.canonical import content_hash
from fieldeval.data.dataset import load_dataset
from fieldeval.errors import ErrorKind
from fieldeval.records.check_result import CheckResult
from fieldeval.records.completion import Completion, Usage
from fieldeval.records.grade import FailureLabel, Grade
from fieldeval.records.run import OutputKey, OutputRecord, RunInfo
from fieldeval.store import Store
from fieldeval.store.grade_store import GradeStore
from fieldeval.suite.loader import LoadedSuite, load_suite

SUITE = """\
task:
  name: web-bench
  description: Summarise the customer's message in one short line.
  prompt: "{{ text }}"
dataset: {path: data.csv, id: id, input: text, reference: ref, slices: [topic, edge]}
candidates:
__CANDIDATES__
checks:
  - {max_words: 30, id: short}
  - {not_contains: ["as an ai"], ignore_case: true, id: no-disclaimer}
  - {min_words: 2, id: not-empty}
rubric:
  - id: faithful
    question: Does the output say only what the customer said?
  - id: tone
    question: How calm and neutral is it?
    severity: minor
    scale:
      levels:
        - {value: 1, label: hostile, anchor: Takes sides.}
        - {value: 2, label: uneven, anchor: A loaded word.}
        - {value: 3, label: neutral, anchor: Just the facts.}
      pass_at: 2
volume: {requests_per_month: 300000, low: 100000, high: 1000000}
failure_modes:
  - {id: too-long, definition: Runs past the length asked for., severity: minor, check: short}
  - {id: disclaims, definition: Talks about itself., severity: major, check: no-disclaimer}
  - {id: empty, definition: Says next to nothing., severity: major, check: not-empty}
  - {id: unfaithful, definition: Says what was not said., severity: critical, criterion: faithful}
  - {id: rude, definition: Talks down to the customer., severity: cosmetic}
"""
TOPICS = ("billing", "cards", "loans", "fraud", "app")
EDGES = ("", "", "", "hostile", "truncated", "wrong_language")
WORDS = [
    "refund",
    "card",
    "charge",
    "fee",
    "account",
    "late",
    "payment",
    "app",
    "login",
    "branch",
    "statement",
    "loan",
]


@dataclass(frozen=True)
class BenchStore:
    suite: Path
    db_url: str
    before: str  # run ids
    after: str


def build(folder: Path, *, candidates: int, examples: int, graded: int = 2000) -> BenchStore:
    """Write the suite and data, and two finished runs of it, into `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(7)
    with (folder / "data.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "text", "ref", "topic", "edge"])
        for i in range(examples):
            text = " ".join(rng.choice(WORDS) for _ in range(rng.randint(8, 60)))
            writer.writerow(
                [
                    f"ex{i:06d}",
                    f"Message {i}: {text}",
                    f"ref {i}",
                    TOPICS[i % 5],
                    EDGES[i % len(EDGES)],
                ]
            )
    # The first candidate has a price and the others none: the run page shows both cases.
    price = ", price: {input_per_mtok: 0.15, output_per_mtok: 0.6}"
    entries = "\n".join(
        f'  - {{id: cand-{n}, provider: python, function: "bot:answer"{"" if n else price}}}'
        for n in range(candidates)
    )
    suite_path = folder / "suite.yaml"
    suite_path.write_text(SUITE.replace("__CANDIDATES__", entries), encoding="utf-8")
    loaded = load_suite(suite_path)
    db_url = f"sqlite:///{folder / 'bench.db'}"
    store = Store.open(db_url)
    try:
        dataset = load_dataset(loaded.suite.dataset, base_dir=folder)
        store.save_dataset(dataset)
        started = datetime.now(UTC) - timedelta(days=1)
        before = _run(store, loaded, dataset.content_hash, "run-before", started, rng, shift=0)
        after = _run(
            store,
            loaded,
            dataset.content_hash,
            "run-after",
            started + timedelta(hours=2),
            rng,
            shift=1,
        )
        _grade(store, loaded, after, graded, rng)
    finally:
        store.close()
    return BenchStore(suite_path, db_url, before, after)


def _run(
    store: Store,
    loaded: LoadedSuite,
    dataset_hash: str,
    run_id: str,
    started: datetime,
    rng: random.Random,
    *,
    shift: int,
) -> str:
    suite = loaded.suite
    examples = store.examples(dataset_hash)
    run = RunInfo(
        id=run_id,
        suite_name=suite.task.name,
        suite_path=str(loaded.path),
        suite_hash=loaded.suite_hash,
        suite=suite.model_dump(mode="json"),
        dataset_hash=dataset_hash,
        status="running",
        repeats=1,
        n_planned=len(examples) * len(suite.candidates),
        fieldeval_version="bench",
        started_at=started,
        finished_at=None,
    )
    configs = []
    for candidate in suite.candidates:
        config = candidate.model_dump(mode="json")
        configs.append((candidate.id, config, content_hash(config)))
    store.create_run(run, configs)
    records: list[OutputRecord] = []
    for c, candidate in enumerate(suite.candidates):
        for i, example in enumerate(examples):
            records.append(_record(candidate.id, example.id, example.input, i + c + shift, rng))
            if len(records) == 1000:
                store.save_outputs(run_id, records, replace=False)
                records = []
    store.save_outputs(run_id, records, replace=False)
    store.set_status(run_id, "finished")
    return run_id


def _record(cid: str, eid: str, text: str, seed: int, rng: random.Random) -> OutputRecord:
    key = OutputKey(cid, eid, 0)
    if seed % 97 == 0:
        return OutputRecord(
            key,
            f"h-{cid}-{eid}-{seed}",
            None,
            error_kind=ErrorKind.TIMEOUT,
            error_message="timed out",
            attempts=3,
        )
    words = text.split()[2:]
    answer = " ".join(words[: 10 + seed % 35])
    if seed % 13 == 0:
        answer = "As an AI I cannot say. " + answer
    if seed % 29 == 0:
        answer = "ok"
    n = len(answer.split())
    checks = [
        CheckResult("short", n <= 30, f"{n} words {'<=' if n <= 30 else '>'} 30", float(n)),
        CheckResult("no-disclaimer", "as an ai" not in answer.lower(), "looked for 'as an ai'"),
        CheckResult("not-empty", n >= 2, f"{n} words", float(n)),
    ]
    latency = rng.lognormvariate(6.5, 0.4)
    completion = Completion(
        text=answer,
        usage=Usage(input_tokens=len(text.split()) + 20, output_tokens=n + 2),
        finish_reason="stop",
        latency_s=latency / 1000,
        ttft_s=latency / 4000,
    )
    return OutputRecord(key, f"h-{cid}-{eid}-{seed}", completion, checks=checks)


def _grade(store: Store, loaded: LoadedSuite, run_id: str, count: int, rng: random.Random) -> None:
    """The judge grades `count` outputs on both criteria; a person grades a tenth of them."""
    grades = GradeStore(store)
    rubric = loaded.suite.rubric
    grades.save_criteria([(c.version, c.id, c.model_dump(mode="json")) for c in rubric])
    outputs = [o for o in store.outputs(run_id) if o.ok][:count]
    faithful, tone = rubric
    for n, output in enumerate(outputs):
        key = (run_id, output.candidate_id, output.example_id, output.repeat)
        grades.save_grade(
            Grade(
                *key,
                "faithful",
                faithful.version,
                "judge-1",
                "judge",
                int(rng.random() > 0.2),
                "The summary adds <b>a claim</b>.",
            )
        )
        grades.save_grade(
            Grade(*key, "tone", tone.version, "judge-1", "judge", rng.choice((1, 2, 3)), None)
        )
        if n % 10 == 0:
            grades.save_grade(
                Grade(
                    *key,
                    "faithful",
                    faithful.version,
                    "ana",
                    "human",
                    int(rng.random() > 0.3),
                    "not what they said",
                )
            )
    labels = [
        FailureLabel(run_id, o.candidate_id, o.example_id, o.repeat, "rude", "ana", "curt")
        for o in outputs[::25]
    ]
    grades.replace_failure_labels(run_id, "ana", labels)
