"""What a one-example CLI run spends before its one call: start-up and imports.

    python benchmarks/startup.py [--repeats 5] [--goal-s 0.5]

Against the fast server (`fast_server.py`), in a fresh workspace: `fieldeval run` on a
one-example suite (existing store, no cache), and, as the baseline in the same run, the
bare aiohttp script making the same one call (`bare_client.py`). Both are timed as
subprocesses, interleaved, median of `--repeats`. Then one more fieldeval run under
`python -X importtime` prints the ten top-level imports that took longest (cumulative),
which is where the remaining start-up goes.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import PYTHON, child_env, fast_server, write_workspace

HERE = Path(__file__).resolve().parent


def timed(command: list[str], cwd: Path) -> float:
    started = time.perf_counter()
    subprocess.run(command, cwd=cwd, env=child_env(), check=True, capture_output=True)
    return time.perf_counter() - started


def top_imports(command: list[str], cwd: Path, count: int = 10) -> list[tuple[float, str]]:
    """The top-level imports with the largest cumulative time, in ms."""
    done = subprocess.run(
        [PYTHON, "-X", "importtime", *command[1:]],
        cwd=cwd, env=child_env(), check=True, capture_output=True, text=True,
    )  # fmt: skip
    rows = []
    for line in done.stderr.splitlines():
        if not line.startswith("import time:") or "cumulative" in line:
            continue
        _, cumulative, name = line.split("|")
        if name.startswith(" ") and not name.startswith("  "):  # depth 0: one space
            rows.append((int(cumulative) / 1000, name.strip()))
    return sorted(rows, reverse=True)[:count]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--goal-s", type=float, default=0.5)
    args = parser.parse_args()
    with fast_server() as url, tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        suite = write_workspace(folder, n=1, base_url=url, concurrency=1, stream=False)
        db = folder / "startup.db"
        cli = [PYTHON, "-m", "fieldeval", "run", str(suite), "-q", "--no-cache", "--db", str(db)]
        bare = [PYTHON, str(HERE / "bare_client.py"), url, str(folder / "data.csv")]
        subprocess.run(cli, cwd=folder, env=child_env(), check=True, capture_output=True)
        cli_s, bare_s = [], []
        for _ in range(args.repeats):
            bare_s.append(timed(bare, folder))
            cli_s.append(timed(cli, folder))
        imports = top_imports(cli, folder)
    cli_median, bare_median = statistics.median(cli_s), statistics.median(bare_s)
    verdict = "PASS" if cli_median <= args.goal_s else "MISS"
    print(f"{'case':<36} {'median s':>9} {'vs bare':>8} {'goal':>6}")
    print(f"{'bare aiohttp script, 1 example':<36} {bare_median:>9.3f} {'1.00x':>8}")
    ratio = f"{cli_median / bare_median:.2f}x"
    print(f"{'fieldeval CLI, 1 example':<36} {cli_median:>9.3f} {ratio:>8} {verdict:>6}")
    print("\nslowest top-level imports of that run (cumulative ms, python -X importtime):")
    for ms, name in imports:
        print(f"  {ms:8.1f}  {name}")


if __name__ == "__main__":
    main()
