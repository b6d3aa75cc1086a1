"""The load client's goal: fieldeval keeps up with a bare asyncio + aiohttp streaming loop.

    python benchmarks/run_load.py [--concurrency 25 50 100 150 200] [--duration 4] [--json out.json]

Streaming requests of about 200 ms (20 content chunks 10 ms apart, 10 ms before the first
byte) from the fake model server (`tests/doubles/openai_server.py`) on one core, and the
client on the other. At each concurrency it runs a closed loop for warm-up + duration with
(a) a bare loop: one `ClientSession`, N tasks, each POSTing and reading SSE lines, stamping
`perf_counter` on every content chunk; and (b) fieldeval's `run_level` with the openai
provider. Both are measured the same way, over the same steady window.

Goal (from the issue): fieldeval sustains at least 90% of the bare loop's rate, with ITL p99
within 10% of the server's true delay and TTFT p50 within 2 ms of it. A client "sustains"
a rate while its own TTFT p50 stays within 2 ms of the true delay: past that, requests queue
in the client (or the server) and the extra rate is bought with latency.

The true delays are what the server really delivers, not its nominal 20 / 10 ms: every
asyncio sleep of the server overshoots (timers have millisecond granularity), so they are
measured first with the bare loop and one stream, where no client contention can add to
them. Both clients ask for the usage chunk (`stream_options.include_usage`), as fieldeval's
provider does, so the server does the same work for each.
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
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

import aiohttp
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
SERVER = ROOT / "tests" / "doubles" / "openai_server.py"
DELAY_S = 0.01  # before the first byte (the role-only chunk)
CHUNK_DELAY_S = 0.01  # between chunks
WORDS = 20  # content chunks per reply: "echo:" + the prompt's words, cut by max_tokens
NOMINAL_TTFT_MS = (DELAY_S + CHUNK_DELAY_S) * 1000  # first content chunk is the second event
NOMINAL_ITL_MS = CHUNK_DELAY_S * 1000
TTFT_SLACK_MS = 2.0
ITL_SLACK = 0.10
RATE_GOAL = 0.90
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
    concurrency: int
    requests: int
    errors: int
    rate: float  # completions / s over the steady window
    ttft_p50_ms: float
    ttft_p99_ms: float
    itl_p50_ms: float
    itl_p99_ms: float
    cpu: float  # client process CPU time / wall time

    def sustained(self, truth: Truth) -> bool:
        return abs(self.ttft_p50_ms - truth.ttft_ms) <= TTFT_SLACK_MS

    def itl_ok(self, truth: Truth) -> bool:
        return self.itl_p99_ms <= truth.itl_ms * (1 + ITL_SLACK)


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
def fake_server(core: int | None) -> Iterator[str]:
    """The fake server on `core`; yields the chat completions URL."""
    config = json.dumps({"delay_s": DELAY_S, "chunk_delay_s": CHUNK_DELAY_S})
    process = subprocess.Popen(
        [sys.executable, str(SERVER), "--exit-on-eof", "--config", config],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        if core is not None:
            os.sched_setaffinity(process.pid, {core})
        assert process.stdout is not None
        line = process.stdout.readline().strip()
        if not line.startswith("LISTENING "):
            raise RuntimeError(f"the fake server did not start: {line!r}")
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
        "uvloop": importlib.util.find_spec("uvloop"),
    }
    return {name: "installed (not run)" if hit else "not installed" for name, hit in found.items()}


# -- the table ------------------------------------------------------------------------------


def _mark(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def report(rows: list[Row], truth: Truth) -> dict[str, object]:
    bare = {r.concurrency: r for r in rows if r.client == "bare aiohttp"}
    print(
        f"\ntrue delays as delivered (bare loop, 1 stream): TTFT {truth.ttft_ms:.2f} ms,"
        f" ITL {truth.itl_ms:.2f} ms (nominal {NOMINAL_TTFT_MS:g} / {NOMINAL_ITL_MS:g} ms,"
        f" {WORDS} chunks per reply)\n"
    )
    header = (
        f"{'client':<13} {'conc':>5} {'req/s':>8} {'TTFT p50':>9} {'TTFT p99':>9}"
        f" {'ITL p99':>8} {'CPU':>5} {'vs bare':>8}  sustained"
    )
    print(header)
    print("-" * len(header))
    for r in rows:
        ratio = r.rate / bare[r.concurrency].rate if r.concurrency in bare else float("nan")
        errors = f" ({r.errors} errors)" if r.errors else ""
        print(
            f"{r.client:<13} {r.concurrency:>5} {r.rate:>8.1f} {r.ttft_p50_ms:>9.2f}"
            f" {r.ttft_p99_ms:>9.2f} {r.itl_p99_ms:>8.2f} {r.cpu:>5.0%} {ratio:>8.2f}"
            f"  {'yes' if r.sustained(truth) else 'no'}{errors}"
        )
    best_bare = _best(bare.values(), truth)
    best_fe = _best((r for r in rows if r.client == "fieldeval"), truth)
    goals: dict[str, bool] = {}
    if best_bare is not None and best_fe is not None:
        goals = {
            f"rate >= {RATE_GOAL:.0%} of the bare loop's": best_fe.rate
            >= RATE_GOAL * best_bare.rate,
            f"ITL p99 within {ITL_SLACK:.0%} of the true ITL": best_fe.itl_ok(truth),
            f"TTFT p50 within {TTFT_SLACK_MS:g} ms of the true TTFT": best_fe.sustained(truth),
        }
        print(
            f"\nmax sustained: bare {best_bare.rate:.1f} req/s (conc {best_bare.concurrency}),"
            f" fieldeval {best_fe.rate:.1f} req/s (conc {best_fe.concurrency}),"
            f" ratio {best_fe.rate / best_bare.rate:.2f}"
        )
    else:
        print("\nno level was sustained: lower --concurrency")
    for goal, ok in goals.items():
        print(f"  {_mark(ok)}  {goal}")
    if best_fe is not None and best_fe.concurrency in bare:
        # The same bars for the bare loop: a miss both clients share is the server's jitter.
        same = bare[best_fe.concurrency]
        print(
            f"  (bare loop at conc {same.concurrency}: ITL p99 {_mark(same.itl_ok(truth))},"
            f" TTFT p50 {_mark(same.sustained(truth))})"
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


def _best(rows: Iterable[Row], truth: Truth) -> Row | None:
    """The highest rate among a client's sustained levels."""
    return max((r for r in rows if r.sustained(truth)), key=lambda r: r.rate, default=None)


async def main_async(args: argparse.Namespace, url: str) -> tuple[list[Row], Truth]:
    one = await bare_level(url, 1, args.duration)
    truth = Truth(ttft_ms=one.ttft_p50_ms, itl_ms=one.itl_p50_ms)
    rows: list[Row] = []
    for index, concurrency in enumerate(args.concurrency):
        rows.append(await bare_level(url, concurrency, args.duration))
        rows.append(await fieldeval_level(url, concurrency, args.duration, index))
        await asyncio.sleep(0.5)  # let the server drain the level's last streams
    return rows, truth


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--concurrency", type=int, nargs="+", default=[10, 25, 50, 75, 100, 150])
    parser.add_argument("--duration", type=float, default=10.0, help="steady seconds per level")
    parser.add_argument("--json", type=Path, help="also write the rows and goals here")
    args = parser.parse_args()
    server_core, client_core = pin()
    print(
        f"server on core {server_core}, client on core {client_core}"
        if server_core is not None
        else "server and client unpinned (no sched_setaffinity or one core)"
    )
    with fake_server(server_core) as url:
        rows, truth = asyncio.run(main_async(args, url))
    result = report(rows, truth)
    if args.json:
        args.json.write_text(json.dumps(result, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
