"""Are the results pages fast on a large run?

    python benchmarks/web_pages.py [--examples 10000] [--candidates 2] [--repeats 5] [--goal-ms 300]

Builds a store with two runs of a suite, each `candidates × examples` outputs (20,000 by
default) with check results, slices, judge and human grades and failure labels, written
through the Store API (`_web_store.py`). Starts `fieldeval serve` on it, as a user would,
and times every page and its JSON twin over loopback HTTP:

* first: the first request for it on the fresh server. The older run's pages are cold: their
  analyses are computed on that request. At start-up `fieldeval serve` analyses the newest run
  and its comparison with the run before in the background; the script waits for that
  ("analysed in ...") before timing the newest run's pages, as a reader opening the runs list
  would. A JSON twin asked right after its page shares the analysis the page computed.
* warm: the median of --repeats more requests.

Prints milliseconds against the goal (every page under 300 ms) with PASS/MISS.
"""

from __future__ import annotations

import argparse
import queue
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import PYTHON, child_env
from _web_store import build

START_TIMEOUT_S = 60.0
WARM_TIMEOUT_S = 300.0


def pages(before: str, after: str) -> list[tuple[str, list[tuple[str, str]]]]:
    """Groups of (name, path) in the order timed; a JSON twin is `/api` + its page's path."""
    example = quote("ex000003", safe="")
    examples = f"/runs/{after}/examples"
    return [
        ("while the newest run is analysed in the background", [("runs list", "/")]),
        (
            "older run: analyses computed on the first request",
            [
                ("run page", f"/runs/{before}"),
                ("failure analysis", f"/runs/{before}/failures"),
                ("outputs by failure mode", f"/runs/{before}/outputs?mode=too-long"),
            ],
        ),
        (
            "newest run: analysed at start-up",
            [
                ("run page", f"/runs/{after}"),
                ("examples, no filter", examples),
                ("examples, page 150", f"{examples}?page=150"),
                ("examples, a candidate's failures", f"{examples}?candidate=cand-0&outcome=fail"),
                ("examples, a slice", f"{examples}?slice=topic%3Dcards"),
                ("examples, text search", f"{examples}?q=late+fee"),
                (
                    "examples, text + pass + slice",
                    f"{examples}?q=pay&outcome=pass&slice=topic%3Dcards",
                ),
                ("examples, failing criterion", f"{examples}?criterion=faithful"),
                ("examples, failure mode (labels)", f"{examples}?mode=rude"),
                ("examples, edge", f"{examples}?edge=hostile"),
                ("example, side by side", f"{examples}/{example}"),
                ("one output", f"/runs/{after}/outputs/cand-0/{example}/0"),
                ("failure analysis", f"/runs/{after}/failures"),
                (
                    "outputs by failure mode",
                    f"/runs/{after}/outputs?mode=too-long&candidate=cand-0",
                ),
                ("compare the two runs", f"/compare?before={before}&after={after}"),
                ("compare, flips page 20", f"/compare?before={before}&after={after}&page=20"),
            ],
        ),
    ]


def api_path(path: str) -> str:
    return "/api/runs" if path == "/" else "/api" + path


def timed(url: str) -> float:
    """Milliseconds from sending the request to the last byte of a 200 answer."""
    started = time.perf_counter()
    with urllib.request.urlopen(url, timeout=WARM_TIMEOUT_S) as response:
        response.read()
        if response.status != 200:
            raise RuntimeError(f"{url}: HTTP {response.status}")
    return (time.perf_counter() - started) * 1000


class Server:
    """`fieldeval serve` in its own process, its printed lines read by a thread."""

    def __init__(self, suite: Path, db_url: str) -> None:
        command = [PYTHON, "-m", "fieldeval", "serve", str(suite), "--db", db_url]
        self.process = subprocess.Popen(
            [*command, "--no-open", "--port", "0"],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=child_env(),
            cwd=suite.parent,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._pump, daemon=True).start()
        self.base = self.wait_for("open http://", START_TIMEOUT_S).split("open ")[1].strip()
        self.base = self.base.rstrip("/")

    def _pump(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line)
        self.lines.put("")

    def wait_for(self, text: str, timeout: float) -> str:
        deadline = time.monotonic() + timeout
        while True:
            line = self.lines.get(timeout=max(0.1, deadline - time.monotonic()))
            if not line:
                raise RuntimeError(f"fieldeval serve stopped (exit {self.process.poll()})")
            if text in line:
                return line

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=10_000)
    parser.add_argument("--candidates", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--goal-ms", type=float, default=300.0)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="fieldeval-web-") as tmp:
        started = time.perf_counter()
        bench = build(Path(tmp), candidates=args.candidates, examples=args.examples)
        outputs = args.candidates * args.examples
        print(
            f"store: 2 runs × {outputs:,} outputs ({args.candidates} candidates ×"
            f" {args.examples:,} examples), built in {time.perf_counter() - started:.1f} s",
            flush=True,
        )
        server = Server(bench.suite, bench.db_url)
        try:
            rows = measure(server, pages(bench.before, bench.after), args.repeats)
        finally:
            server.stop()
    report(rows, args.goal_ms)


def measure(
    server: Server, groups: list[tuple[str, list[tuple[str, str]]]], repeats: int
) -> list[tuple[str, str, float, float]]:
    """(name, kind, first ms, warm median ms) for each page and each JSON twin."""
    rows = []
    for number, (heading, timed_pages) in enumerate(groups):
        if number == 1:  # after the runs list, once the background analysis is done
            line = server.wait_for("analysed in", WARM_TIMEOUT_S).strip()
            print(f"server: {line}", flush=True)
        print(heading, flush=True)
        for name, path in timed_pages:
            for kind, address in (("page", path), ("json", api_path(path))):
                url = server.base + address
                first = timed(url)
                warm = statistics.median(timed(url) for _ in range(repeats))
                label = f"{name} ({heading.split(':')[0]})" if number == 1 else name
                rows.append((label, kind, first, warm))
                print(f"  {kind:4} {first:9.1f} {warm:9.1f}  {name}", flush=True)
    return rows


def report(rows: list[tuple[str, str, float, float]], goal: float) -> None:
    def verdict(ms: float) -> str:
        return "PASS" if ms < goal else "MISS"

    print()
    print(f"| page | kind | first hit (ms) | | warm, median (ms) | |  (goal: < {goal:.0f} ms)")
    print("|---|---|---:|---|---:|---|")
    for name, kind, first, warm in rows:
        print(
            f"| {name} | {kind} | {first:.0f} | {verdict(first)} | {warm:.0f} | {verdict(warm)} |"
        )
    firsts = [first for _, _, first, _ in rows]
    warms = [warm for _, _, _, warm in rows]
    print()
    for label, values in (("warm", warms), ("first hit", firsts)):
        under = sum(ms < goal for ms in values)
        print(
            f"{label}: {under} of {len(values)} under {goal:.0f} ms (slowest {max(values):.0f} ms)"
        )


if __name__ == "__main__":
    main()
