"""The load client's goal: fieldeval keeps up with a bare asyncio + aiohttp streaming loop.

    python benchmarks/run_load.py [--concurrency 50 100 200 400] [--duration 6] [--repeats 3]
                                  [--no-uvloop] [--json out.json]

Streaming requests of about 230 ms (a role chunk 10 ms after the request, then 20 content
chunks, a finish chunk, the usage chunk and [DONE], 10 ms apart) from `stream_stub.py`, a
stub on raw asyncio that spends a fraction of the CPU the aiohttp test double does, on one
core; the client on the other. At each number of users it runs a closed loop for warm-up +
duration with (a) a bare loop: one `ClientSession`, N tasks, each POSTing and reading SSE
lines, stamping `perf_counter` on every content chunk; and (b) fieldeval's `run_level` with
the openai provider. Both are measured the same way, over the same steady window, on
asyncio's loop and then (when uvloop is installed) both again on uvloop's. Each level is
run `--repeats` times, the two clients interleaved, and the repeat with the median rate is
shown.

Goals (issue 23), on asyncio's loop, each against the bare loop measured in the same run:
fieldeval's rate is at least 0.95x the bare loop's at 100, 200 and 400 users, and its TTFT
p50 at 50 users is within 2 ms of the bare loop's. When a client runs out of CPU, its rate
is what its CPU per request allows: the ratio is then the bare loop's CPU per request over
fieldeval's. The CPU column is the client process's CPU time over wall time.

The stub's real delays (every timer overshoots a little) are shown from the bare loop at
one stream. Both clients ask for the usage chunk (`stream_options.include_usage`), as
fieldeval's provider does, so the stub does the same work for each.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib.util
import itertools
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

import aiohttp
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
STUB = Path(__file__).resolve().parent / "stream_stub.py"
DELAY_S = 0.01  # before the first byte (the role-only chunk)
CHUNK_DELAY_S = 0.01  # between chunks
WORDS = 20  # content chunks per reply: "echo:" + the prompt's words, cut by max_tokens
NOMINAL_TTFT_MS = (DELAY_S + CHUNK_DELAY_S) * 1000  # first content chunk is the second event
NOMINAL_ITL_MS = CHUNK_DELAY_S * 1000
TTFT_SLACK_MS = 2.0
RATE_GOAL = 0.95
RATE_USERS = (100, 200, 400)  # the rate goal's levels
TTFT_USERS = 50  # the TTFT goal's level
BARE = ("bare aiohttp", "asyncio")
# Long enough to spread the closed loop's users out of lock-step (they all start together, so
# completions first arrive in bursts of N), which would quantize a short window's count.
WARMUP_S = 2.0
PROMPT = " ".join(f"word{i}" for i in range(WORDS + 10))


@dataclass(frozen=True)
class Truth:
    """The server's real delays, from the bare loop at one stream."""

    ttft_ms: float
    itl_ms: float


@dataclass(frozen=True)
class Row:
    client: str
    loop: str  # "asyncio" or "uvloop"
    concurrency: int
    requests: int
    errors: int
    rate: float  # completions / s over the steady window
    ttft_p50_ms: float
    ttft_p99_ms: float
    itl_p50_ms: float
    itl_p99_ms: float
    cpu: float  # client process CPU time / wall time

    @property
    def cpu_ms_per_request(self) -> float:
        return self.cpu * 1000 / self.rate if self.rate else float("nan")


@dataclass(frozen=True)
class Sample:
    sent: float
    first: float | None
    chunks: list[float]
    end: float | None


def summarize(
    client: str, concurrency: int, samples: list[Sample], window: tuple[float, float], cpu: float
) -> Row:
    """Rate from completions inside the window; latencies over requests sent inside it."""
    start, end = window
    done = [s for s in samples if s.end is not None and start <= s.end < end]
    sent = [s for s in samples if start <= s.sent < end]
    ttft = [(s.first - s.sent) * 1000 for s in sent if s.first is not None]
    itl = [(b - a) * 1000 for s in sent for a, b in itertools.pairwise(s.chunks)]
    return Row(
        client=client,
        loop=_loop_name(),
        concurrency=concurrency,
        requests=len(sent),
        errors=sum(1 for s in sent if s.end is None),
        rate=len(done) / (end - start),
        ttft_p50_ms=_pct(ttft, 50),
        ttft_p99_ms=_pct(ttft, 99),
        itl_p50_ms=_pct(itl, 50),
        itl_p99_ms=_pct(itl, 99),
        cpu=cpu,
    )


def _loop_name() -> str:
    return (
        "uvloop" if type(asyncio.get_running_loop()).__module__.startswith("uvloop") else "asyncio"
    )


def _pct(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else float("nan")


# -- (a) the bare loop ---------------------------------------------------------------------


async def bare_level(url: str, concurrency: int, duration_s: float) -> Row:
    body = json.dumps(
        {
            "model": "fake",
            "messages": [{"role": "user", "content": PROMPT}],
            "max_tokens": WORDS,
            "stream": True,
            "stream_options": {"include_usage": True},
        }
    ).encode()
    headers = {"Content-Type": "application/json"}
    samples: list[Sample] = []
    cpu_started, started = time.process_time(), time.perf_counter()
    stop_at = started + WARMUP_S + duration_s

    async def user(session: aiohttp.ClientSession) -> None:
        while time.perf_counter() < stop_at:
            sent = time.perf_counter()
            first: float | None = None
            chunks: list[float] = []
            end: float | None = None
            with contextlib.suppress(aiohttp.ClientError):
                async with session.post(url, data=body, headers=headers) as response:
                    async for line in response.content:
                        if not line.startswith(b"data: ") or line.startswith(b"data: [DONE]"):
                            continue
                        choices = json.loads(line[6:]).get("choices")
                        if choices and choices[0].get("delta", {}).get("content"):
                            now = time.perf_counter()
                            first = first or now
                            chunks.append(now)
                    end = time.perf_counter()
            samples.append(Sample(sent, first, chunks, end))

    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:
        await asyncio.gather(*(user(session) for _ in range(concurrency)))
    cpu = (time.process_time() - cpu_started) / (time.perf_counter() - started)
    return summarize("bare aiohttp", concurrency, samples, (started + WARMUP_S, stop_at), cpu)


# -- (b) fieldeval's run_level ------------------------------------------------------------


async def fieldeval_level(url: str, concurrency: int, duration_s: float, index: int) -> Row:
    from fieldeval.load.driver import run_level
    from fieldeval.providers import create_provider
    from fieldeval.records.load import Level
    from fieldeval.records.request import Message, ModelRequest
    from fieldeval.suite.candidates import OpenAICandidate
    from fieldeval.suite.load import Load

    candidate = OpenAICandidate(
        provider="openai",
        id="bench",
        model="fake",
        base_url=url.removesuffix("/chat/completions"),
        api_key_env=None,
        concurrency=concurrency,
        stream=True,
    )
    spec = Load(mode="closed", duration_s=duration_s, warmup_s=WARMUP_S, cooldown_s=0.0)
    request = ModelRequest(
        messages=(Message("user", PROMPT),), params={"max_tokens": WORDS, "temperature": 0}
    )
    provider = create_provider(candidate, base_dir=ROOT)
    try:
        run = await run_level(
            provider,
            [request],
            Level(index=index, mode="closed", users=concurrency),
            spec,
            clock_origin=time.perf_counter(),
        )
    finally:
        await provider.aclose()
    samples = [
        Sample(r.sent_s, r.first_token_s, r.chunk_times_s, r.end_s if r.ok else None)
        for r in run.records
    ]
    window = (run.steady_start_s, run.steady_end_s)
    return summarize("fieldeval", concurrency, samples, window, run.client_cpu_fraction)


# -- the server, pinned, and the other tools ------------------------------------------------


@contextlib.contextmanager
def stub_server(core: int | None) -> Iterator[str]:
    """The raw-asyncio stub on `core`; yields the chat completions URL."""
    process = subprocess.Popen(
        [
            sys.executable, str(STUB), "--exit-on-eof",
            "--delay-s", str(DELAY_S), "--chunk-delay-s", str(CHUNK_DELAY_S),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    try:
        if core is not None:
            os.sched_setaffinity(process.pid, {core})
        assert process.stdout is not None
        line = process.stdout.readline().strip()
        if not line.startswith("LISTENING "):
            raise RuntimeError(f"the stub did not start: {line!r}")
        yield line.removeprefix("LISTENING ") + "/v1/chat/completions"
    finally:
        if process.stdin is not None:
            process.stdin.close()  # --exit-on-eof
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def pin() -> tuple[int | None, int | None]:
    """(server core, client core), or (None, None) where affinity cannot be set."""
    if not hasattr(os, "sched_setaffinity"):
        return None, None
    cores = sorted(os.sched_getaffinity(0))
    if len(cores) < 2:
        return None, None
    os.sched_setaffinity(0, {cores[1]})
    return cores[0], cores[1]


def other_tools() -> dict[str, str]:
    """guidellm and Locust are reported only; this script never installs them."""
    found = {
        "guidellm": shutil.which("guidellm") or importlib.util.find_spec("guidellm"),
        "locust": shutil.which("locust") or importlib.util.find_spec("locust"),
    }
    return {name: "installed (not run)" if hit else "not installed" for name, hit in found.items()}


# -- the table ------------------------------------------------------------------------------


def _mark(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def report(rows: list[Row], truth: Truth) -> dict[str, object]:
    by = {(r.client, r.loop, r.concurrency): r for r in rows}
    print(
        f"\nthe stub's delays as delivered (bare loop, 1 stream): TTFT {truth.ttft_ms:.2f} ms,"
        f" ITL {truth.itl_ms:.2f} ms (nominal {NOMINAL_TTFT_MS:g} / {NOMINAL_ITL_MS:g} ms,"
        f" {WORDS} chunks per reply)\n"
    )
    header = (
        f"{'client':<13} {'loop':<8} {'users':>5} {'req/s':>8} {'TTFT p50':>9} {'TTFT p99':>9}"
        f" {'ITL p99':>8} {'CPU':>5} {'CPU ms/req':>10} {'vs bare':>8}"
    )
    print(header)
    print("-" * len(header))
    for r in rows:
        bare = by.get(("bare aiohttp", r.loop, r.concurrency))
        ratio = r.rate / bare.rate if bare and bare.rate else float("nan")
        errors = f"  ({r.errors} errors)" if r.errors else ""
        print(
            f"{r.client:<13} {r.loop:<8} {r.concurrency:>5} {r.rate:>8.1f} {r.ttft_p50_ms:>9.2f}"
            f" {r.ttft_p99_ms:>9.2f} {r.itl_p99_ms:>8.2f} {r.cpu:>5.0%}"
            f" {r.cpu_ms_per_request:>10.3f} {ratio:>8.2f}{errors}"
        )
    goals: dict[str, bool] = {}
    print()
    for users in RATE_USERS:
        fe, bare = (
            by.get(("fieldeval", "asyncio", users)),
            by.get(("bare aiohttp", "asyncio", users)),
        )
        if fe is None or bare is None:
            continue
        ratio = fe.rate / bare.rate
        goal = f"rate at {users} users >= {RATE_GOAL:g}x the bare loop's"
        goals[goal] = ratio >= RATE_GOAL
        print(
            f"  {_mark(goals[goal])}  {goal}: {ratio:.2f}x ({fe.rate:.0f} / {bare.rate:.0f} req/s)"
        )
    fe, bare = (by.get((c, "asyncio", TTFT_USERS)) for c in ("fieldeval", "bare aiohttp"))
    if fe is not None and bare is not None:
        gap = fe.ttft_p50_ms - bare.ttft_p50_ms
        goal = f"TTFT p50 at {TTFT_USERS} users within {TTFT_SLACK_MS:g} ms of the bare loop's"
        goals[goal] = abs(gap) <= TTFT_SLACK_MS
        print(f"  {_mark(goals[goal])}  {goal}: {gap:+.2f} ms")
    for users in RATE_USERS:
        on_uv, bare = by.get(("fieldeval", "uvloop", users)), by.get((*BARE, users))
        if on_uv is not None and bare is not None:
            print(
                f"  (uvloop) fieldeval at {users} users on uvloop: {on_uv.rate / bare.rate:.2f}x"
                f" the bare loop on asyncio, {on_uv.cpu_ms_per_request:.3f} against"
                f" {bare.cpu_ms_per_request:.3f} CPU ms per request"
            )
    tools = other_tools()
    for name, state in tools.items():
        print(f"  {name}: {state}")
    return {
        "truth": asdict(truth),
        "rows": [asdict(r) for r in rows],
        "goals": goals,
        "tools": tools,
    }


async def true_delays(url: str, duration_s: float) -> Truth:
    """The stub's delays as the bare loop sees them on one stream, with no contention."""
    one = await bare_level(url, 1, duration_s)
    return Truth(ttft_ms=one.ttft_p50_ms, itl_ms=one.itl_p50_ms)


async def levels(args: argparse.Namespace, url: str) -> list[Row]:
    """Each level's median row for the bare loop and for fieldeval, on the running loop."""
    rows: list[Row] = []
    for index, concurrency in enumerate(args.concurrency):
        # Interleaved, so that a slow spell of the machine falls on both clients alike.
        bare, mine = [], []
        for _ in range(args.repeats):
            bare.append(await bare_level(url, concurrency, args.duration))
            await asyncio.sleep(0.5)  # let the stub drain the level's last streams
            mine.append(await fieldeval_level(url, concurrency, args.duration, index))
            await asyncio.sleep(0.5)
        rows += [_median_row(bare), _median_row(mine)]
    return rows


def _median_row(rows: list[Row]) -> Row:
    """The repeat with the median rate (the middle one of an odd number)."""
    return sorted(rows, key=lambda row: row.rate)[(len(rows) - 1) // 2]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--concurrency", type=int, nargs="+", default=[50, 100, 200, 400])
    parser.add_argument("--duration", type=float, default=6.0, help="steady seconds per level")
    parser.add_argument("--repeats", type=int, default=3, help="interleaved; the median is shown")
    parser.add_argument("--no-uvloop", action="store_true", help="asyncio's loop only")
    parser.add_argument("--json", type=Path, help="also write the rows and goals here")
    args = parser.parse_args()
    server_core, client_core = pin()
    print(
        f"server on core {server_core}, client on core {client_core}"
        if server_core is not None
        else "server and client unpinned (no sched_setaffinity or one core)"
    )
    loops: list[Callable[[], asyncio.AbstractEventLoop] | None] = [None]
    if not args.no_uvloop and importlib.util.find_spec("uvloop") is not None:
        import uvloop

        loops.append(uvloop.new_event_loop)
    rows: list[Row] = []
    with stub_server(server_core) as url:
        with asyncio.Runner() as runner:  # on asyncio's loop, as most users run it
            truth = runner.run(true_delays(url, args.duration))
        for factory in loops:
            with asyncio.Runner(loop_factory=factory) as runner:
                rows += runner.run(levels(args, url))
    result = report(rows, truth)
    if args.json:
        args.json.write_text(json.dumps(result, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
