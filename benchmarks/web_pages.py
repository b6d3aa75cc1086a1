"""Are the results pages fast on a large run?

    python benchmarks/web_pages.py [--examples 10000] [--candidates 2] [--repeats 5] [--goal-ms 300]

Builds a store with two runs of a suite, each `candidates × examples` outputs (20,000 by
default) with check results, slices, judge and human grades and failure labels, written
through the Store API (`_web_store.py`). Starts `fieldeval serve` on it, as a user would,
and times every page and its JSON twin over loopback HTTP:

* first hit: every page once, right after the server starts, while its background worker
  analyses the newest runs (and whatever these requests ask for). A page whose analysis is
  not ready is served at once with a note saying so, and its JSON twin answers 202; the
  state each answer was in is printed beside its time.
* warm: once every analysis is done, the median of --repeats more requests of each page,
  every one of them the full page.

Both are page times, held against the goal (every page under 300 ms) with PASS/MISS.
Apart from them, how long each background analysis took (from the server's own lines): that
is how soon a page asked for first shows its numbers, a throughput figure, not a page time.
"""

from __future__ import annotations

import argparse
import queue
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import PYTHON, child_env
from _web_store import build

START_TIMEOUT_S = 60.0
READY_TIMEOUT_S = 300.0
PENDING_NOTE = 'class="pending-note"'
DONE = re.compile(r"^(analysed run|compared run) .* in (\d+(?:\.\d+)?) s$")


def pages(before: str, after: str) -> list[tuple[str, str]]:
    """(name, path) in the order timed; a JSON twin is `/api` + its page's path."""
    example = quote("ex000003", safe="")
    examples = f"/runs/{after}/examples"
    return [
        ("runs list", "/"),
        ("run page (older run)", f"/runs/{before}"),
        ("failure analysis (older run)", f"/runs/{before}/failures"),
        ("outputs by failure mode (older run)", f"/runs/{before}/outputs?mode=too-long"),
        ("run page", f"/runs/{after}"),
        ("examples, no filter", examples),
        ("examples, page 150", f"{examples}?page=150"),
        ("examples, a candidate's failures", f"{examples}?candidate=cand-0&outcome=fail"),
        ("examples, a slice", f"{examples}?slice=topic%3Dcards"),
        ("examples, text search", f"{examples}?q=late+fee"),
        ("examples, text + pass + slice", f"{examples}?q=pay&outcome=pass&slice=topic%3Dcards"),
        ("examples, failing criterion", f"{examples}?criterion=faithful"),
        ("examples, failure mode (labels)", f"{examples}?mode=rude"),
        ("examples, edge", f"{examples}?edge=hostile"),
        ("example, side by side", f"{examples}/{example}"),
        ("one output", f"/runs/{after}/outputs/cand-0/{example}/0"),
        ("failure analysis", f"/runs/{after}/failures"),
        ("outputs by failure mode", f"/runs/{after}/outputs?mode=too-long&candidate=cand-0"),
        ("compare the two runs", f"/compare?before={before}&after={after}"),
        ("compare, flips page 20", f"/compare?before={before}&after={after}&page=20"),
    ]


def api_path(path: str) -> str:
    return "/api/runs" if path == "/" else "/api" + path


def timed(url: str) -> tuple[float, bool]:
    """Milliseconds from sending the request to the last byte, and whether the answer was
    the full page (not "being computed")."""
    started = time.perf_counter()
    with urllib.request.urlopen(url, timeout=READY_TIMEOUT_S) as response:
        body = response.read()
        status = response.status
    ms = (time.perf_counter() - started) * 1000
    if status not in (200, 202):
        raise RuntimeError(f"{url}: HTTP {status}")
    return ms, status == 200 and PENDING_NOTE.encode() not in body


@dataclass(frozen=True)
class Row:
    name: str
    kind: str  # page or json
    first_ms: float
    first_ready: bool  # False: answered "being computed"
    warm_ms: float


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
        self.lines: queue.Queue[tuple[float, str]] = queue.Queue()
        self.seen: list[tuple[float, str]] = []  # (perf_counter when read, line)
        threading.Thread(target=self._pump, daemon=True).start()
        self.base = self.wait_for("open http://", START_TIMEOUT_S).split("open ")[1].strip()
        self.base = self.base.rstrip("/")
        self.started = time.perf_counter()

    def _pump(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put((time.perf_counter(), line.strip()))
        self.lines.put((time.perf_counter(), ""))

    def wait_for(self, text: str, timeout: float) -> str:
        deadline = time.monotonic() + timeout
        while True:
            at, line = self.lines.get(timeout=max(0.1, deadline - time.monotonic()))
            self.seen.append((at, line))
            if not line:
                raise RuntimeError(f"fieldeval serve stopped (exit {self.process.poll()})")
            if text in line:
                return line

    def drain(self) -> list[tuple[float, str]]:
        """Every line printed, with when it arrived in seconds after the URL (< 0: before)."""
        while True:
            try:
                self.seen.append(self.lines.get_nowait())
            except queue.Empty:
                return [(at - self.started, line) for at, line in self.seen]

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
            rows, ready_after = measure(server, pages(bench.before, bench.after), args.repeats)
            lines = server.drain()
        finally:
            server.stop()
    report(rows, args.goal_ms)
    background(lines, ready_after)


def measure(
    server: Server, timed_pages: list[tuple[str, str]], repeats: int
) -> tuple[list[Row], float]:
    """Each page and twin: first hit on the fresh server, then warm once all is analysed.

    Also returns how long after the URL was printed every page was ready."""
    addresses = [
        (name, kind, server.base + (path if kind == "page" else api_path(path)))
        for name, path in timed_pages
        for kind in ("page", "json")
    ]
    print("first hit, while the server analyses in the background (ms, answer):", flush=True)
    firsts = {}
    for name, kind, url in addresses:
        ms, ready = timed(url)
        firsts[url] = (ms, ready)
        print(f"  {kind:4} {ms:8.1f}  {'full' if ready else 'computing':9}  {name}", flush=True)

    # Every page ready: the worker has done what start-up and the requests above queued.
    deadline = time.monotonic() + READY_TIMEOUT_S
    waiting = [url for _, _, url in addresses]
    while waiting:
        if time.monotonic() > deadline:
            raise RuntimeError(f"still computing after {READY_TIMEOUT_S:.0f} s: {waiting}")
        waiting = [url for url in waiting if not timed(url)[1]]
        if waiting:
            time.sleep(0.5)
    ready_after = time.perf_counter() - server.started
    print(f"every page full {ready_after:.1f} s after the URL was printed", flush=True)

    print(f"warm, every analysis ready (median of {repeats}, ms):", flush=True)
    rows = []
    for name, kind, url in addresses:
        answers = [timed(url) for _ in range(repeats)]
        if not all(ready for _, ready in answers):
            raise RuntimeError(f"{url} answered 'computing' after every analysis was done")
        warm = statistics.median(ms for ms, _ in answers)
        rows.append(Row(name, kind, *firsts[url], warm))
        print(f"  {kind:4} {warm:8.1f}  {name}", flush=True)
    return rows, ready_after


def report(rows: list[Row], goal: float) -> None:
    def verdict(ms: float) -> str:
        return "PASS" if ms < goal else "MISS"

    print()
    print(f"page times (goal: every page < {goal:.0f} ms)")
    print()
    print("| page | kind | first hit (ms) | answered | | warm, median (ms) | |")
    print("|---|---|---:|---|---|---:|---|")
    for row in rows:
        answer = "full" if row.first_ready else "computing"
        print(
            f"| {row.name} | {row.kind} | {row.first_ms:.0f} | {answer} | {verdict(row.first_ms)}"
            f" | {row.warm_ms:.0f} | {verdict(row.warm_ms)} |"
        )
    print()
    computing = sum(not row.first_ready for row in rows)
    for label, values in (
        ("first hit", [row.first_ms for row in rows]),
        ("warm", [row.warm_ms for row in rows]),
    ):
        under = sum(ms < goal for ms in values)
        verdicts = "PASS" if under == len(values) else "MISS"
        print(
            f"{verdicts} {label}: {under} of {len(values)} under {goal:.0f} ms"
            f" (slowest {max(values):.0f} ms)"
            + (f"; {computing} answered 'being computed'" if label == "first hit" else "")
        )


def background(lines: list[tuple[float, str]], ready_after: float) -> None:
    """The background worker's analyses, from the server's lines: a throughput figure."""
    print()
    print("background analyses, one at a time (throughput, not page times):")
    done = [(at, line) for at, line in lines if DONE.match(line)]
    for at, line in done:
        print(f"  {line}  (done {at:.1f} s after the URL was printed)")
    if not done:
        print("  none printed")
    print(f"  every page showed its numbers {ready_after:.1f} s after the URL was printed")


if __name__ == "__main__":
    main()
