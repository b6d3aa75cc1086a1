"""Does fieldeval's memory stay flat as the dataset grows?

    python benchmarks/run_memory.py [--sizes 1000 5000 20000] [--concurrency 50] [--limit-mb 200]

For each size, writes that many one-line examples and a suite (see run_speed.py), then runs
`python -m fieldeval run suite.yaml -q --no-cache --db <new store>` against `fast_server.py`
and reads the peak resident set size (ru_maxrss) of that one child from `os.wait4`. The
bare aiohttp loop (`bare_client.py`) is measured the same way, for scale.

Prints MB per size, the growth from the smallest to the largest size, and whether the
largest run stays under --limit-mb (the goal: 20,000 examples under 200 MB).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import HERE, PYTHON, child_env, fast_server, write_workspace


def peak_rss(command: list[str], cwd: Path) -> tuple[float, float, str]:
    """(peak RSS in MB, seconds, stdout) of one child process, read from its own rusage."""
    started = time.perf_counter()
    process = subprocess.Popen(
        command, cwd=cwd, env=child_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    # Read the pipes before reaping, so a chatty child cannot block on a full pipe.
    out, err = process.stdout.read(), process.stderr.read()  # type: ignore[union-attr]
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)  # Popen must not reap it again
    elapsed = time.perf_counter() - started
    if process.returncode != 0:
        raise RuntimeError(
            f"{' '.join(command)} failed ({process.returncode}):\n{out[-2000:]}\n{err[-2000:]}"
        )
    return usage.ru_maxrss / 1024, elapsed, out  # ru_maxrss is in KiB on Linux


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 5000, 20000])
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--limit-mb", type=float, default=200.0)
    args = parser.parse_args()

    rows = []
    with fast_server() as url, tempfile.TemporaryDirectory(prefix="fieldeval-mem-") as tmp:
        root = Path(tmp)
        print(f"fast server at {url}; concurrency {args.concurrency}", flush=True)
        for size in args.sizes:
            suite = write_workspace(
                root / f"n{size}", n=size, base_url=url, concurrency=args.concurrency, stream=False
            )
            bare_mb, bare_s, bare_out = peak_rss(
                [
                    PYTHON,
                    str(HERE / "bare_client.py"),
                    url,
                    str(suite.parent / "data.csv"),
                    "--concurrency",
                    str(args.concurrency),
                ],
                cwd=root,
            )
            if f"PASSED {size}/{size}" not in bare_out:
                raise RuntimeError(f"bare loop: {bare_out.strip()}")
            db = root / f"n{size}.db"
            mb, seconds, out = peak_rss(
                [PYTHON, "-m", "fieldeval", "run", str(suite), "-q", "--no-cache", "--db", str(db)],
                cwd=suite.parent,
            )
            if f"{size}/{size}" not in out:
                raise RuntimeError(f"fieldeval did not pass every example:\n{out}")
            rows.append((size, mb, seconds, bare_mb, bare_s))
            print(
                f"  {size:>6} examples: fieldeval {mb:6.1f} MB in {seconds:5.1f} s; "
                f"bare loop {bare_mb:6.1f} MB in {bare_s:5.1f} s",
                flush=True,
            )

    print()
    print(f"{'examples':>8} {'fieldeval MB':>13} {'seconds':>8} {'bare MB':>8} {'seconds':>8}")
    for size, mb, seconds, bare_mb, bare_s in rows:
        print(f"{size:>8} {mb:>13.1f} {seconds:>8.1f} {bare_mb:>8.1f} {bare_s:>8.1f}")
    (small, small_mb, *_), (large, large_mb, *_) = rows[0], rows[-1]
    growth = large_mb / small_mb
    per_1k = (large_mb - small_mb) / max(1, large - small) * 1000
    verdict = "PASS" if large_mb < args.limit_mb else "MISS"
    print(
        f"\npeak RSS grows {growth:.2f}x from {small} to {large} examples "
        f"({per_1k:.2f} MB per 1,000 more); {large} examples: {large_mb:.0f} MB "
        f"< {args.limit_mb:g} MB: {verdict}"
    )


if __name__ == "__main__":
    main()
