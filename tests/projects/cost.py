"""Real runs whose cost is known to the token: Python candidates that report their own usage.

`CostProject` writes a bot module and a suite in the test's folder. Each candidate answers
from `answers.json`: per candidate and example, either a plain string (the client then
estimates the usage), "RAISE" (the app fails), or {"text", "usage", "fail_first"} where
`fail_first` rate-limits the first calls so the runner retries. The optional judge is a
Python function too, passing every output and reporting a fixed usage per call; an output
containing "garble" gets an answer it cannot parse, every time.
"""

from __future__ import annotations

import csv
import json
import secrets
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from fieldeval.judge.grader import run_judge
from fieldeval.records.run import RunInfo
from fieldeval.runner import run_suite
from fieldeval.store import Store
from fieldeval.suite.loader import LoadedSuite, load_suite

_BOT = """\
import json
import pathlib
import re
import threading

from fieldeval.errors import ErrorKind, ProviderError

_HERE = pathlib.Path(__file__).parent
_tries = {}
_lock = threading.Lock()
JUDGE_USAGE = {"input_tokens": 1000, "output_tokens": 50}


def _answer(candidate, request):
    table = json.loads((_HERE / "answers.json").read_text())
    entry = table[candidate][request.variables["id"]]
    if entry == "RAISE":
        raise RuntimeError("the app broke")
    if isinstance(entry, str):
        return entry
    key = (candidate, request.variables["id"])
    with _lock:
        tries = _tries.get(key, 0)
        _tries[key] = tries + 1
    if tries < entry.get("fail_first", 0):
        raise ProviderError("slow down", ErrorKind.RATE_LIMITED)
    return {"text": entry["text"], "usage": entry["usage"]}


def judge(request):
    if any("garble" in message.content for message in request.messages):
        return {"text": "no JSON here", "usage": JUDGE_USAGE}
    nonce = re.search(r'nonce is "([^"]+)"', request.messages[-1].content).group(1)
    answer = {"nonce": nonce, "reason": "It answers.", "verdict": "pass"}
    return {"text": json.dumps(answer), "usage": JUDGE_USAGE}


def __getattr__(name):
    # Any other name is a candidate answering from its own column of the table.
    if name.startswith("__"):
        raise AttributeError(name)
    return lambda request: _answer(name, request)
"""

# The judge's price and usage per call: 1000 input tokens at $1/Mtok, 50 output at $4/Mtok.
JUDGE_PRICE = {"input_per_mtok": 1.0, "output_per_mtok": 4.0}
JUDGE_CALL_USD = 0.0012


def usage(
    input_tokens: int, output_tokens: int, cached: int = 0, reasoning: int = 0
) -> dict[str, int]:
    return {
        "input_tokens": input_tokens,
        "output_tokens": output_tokens,
        "cached_input_tokens": cached,
        "reasoning_tokens": reasoning,
    }


def answer(text: str, spent: Mapping[str, int], fail_first: int = 0) -> dict[str, Any]:
    return {"text": text, "usage": dict(spent), "fail_first": fail_first}


class CostProject:
    """A suite in `folder` over the given examples, one python candidate per table column."""

    def __init__(self, folder: Path, store: Store) -> None:
        self.folder = folder
        self.store = store
        # A module name of its own: Python caches imports by name across the whole suite.
        self.module = f"cost_bot_{secrets.token_hex(4)}"
        (folder / f"{self.module}.py").write_text(_BOT, encoding="utf-8")

    def write(
        self,
        example_ids: Sequence[str],
        prices: Mapping[str, Mapping[str, float] | None],
        *,
        volume: Mapping[str, Any] | None = None,
        leaderboards: Sequence[Mapping[str, Any]] = (),
        judge: bool = False,
        judge_price: Mapping[str, float] | None = JUDGE_PRICE,
        clusters: Sequence[str] | None = None,
    ) -> LoadedSuite:
        """The suite: candidates named by `prices` (None: no price), in that order."""
        with (self.folder / "data.csv").open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(["id", "text", "group"])
            for i, example_id in enumerate(example_ids):
                writer.writerow(
                    [example_id, f"question {example_id}", clusters[i] if clusters else ""]
                )
        dataset: dict[str, Any] = {"path": "data.csv", "id": "id", "input": "text"}
        if clusters is not None:
            dataset["cluster"] = "group"
        candidates = []
        for cid, price in prices.items():
            entry: dict[str, Any] = {
                "id": cid,
                "provider": "python",
                "function": f"{self.module}:{cid}",
                "retry": {"attempts": 3, "backoff_s": 0},
            }
            if price is not None:
                entry["price"] = dict(price)
            candidates.append(entry)
        suite: dict[str, Any] = {
            "task": {"name": "costs", "description": "Answer ok.", "prompt": "{{ text }}"},
            "dataset": dataset,
            "candidates": candidates,
            "checks": [{"contains": "ok", "id": "correct"}],
        }
        if volume is not None:
            suite["volume"] = dict(volume)
        if leaderboards:
            suite["leaderboards"] = [dict(board) for board in leaderboards]
        if judge:
            suite["rubric"] = [{"id": "helpful", "question": "Does it help?"}]
            grader: dict[str, Any] = {
                "id": "grader",
                "provider": "python",
                "function": f"{self.module}:judge",
            }
            if judge_price is not None:
                grader["price"] = dict(judge_price)
            suite["judge"] = {"candidate": grader}
        path = self.folder / "suite.yaml"
        path.write_text(json.dumps(suite, indent=2), encoding="utf-8")
        return load_suite(path)

    def run(
        self,
        loaded: LoadedSuite,
        answers: Mapping[str, Mapping[str, Any]],
        *,
        repeats: int = 1,
        judge: bool = False,
        use_cache: bool = False,
    ) -> RunInfo:
        """Run the suite (without the response cache unless asked), then the judge."""
        (self.folder / "answers.json").write_text(json.dumps(answers), encoding="utf-8")
        info = run_suite(loaded, self.store, repeats=repeats, use_cache=use_cache)
        if judge:
            run_judge(self.store, loaded, info.id)
        return info
