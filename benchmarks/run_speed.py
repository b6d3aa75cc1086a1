"""How fast is fieldeval against a fast server, next to a bare asyncio + aiohttp loop?

    python benchmarks/run_speed.py [--n 1000] [--concurrency 50] [--repeats 3]

Starts `fast_server.py` as a separate process, writes N one-line examples and a suite
(one OpenAI-compatible candidate, one `contains: echo` check) into a temp dir, then times,
`--repeats` times each with the cases interleaved so that noise hits them alike:

  bare loop            `bare_client.run_bare` in this process: N POSTs, parse, check, no storage
  fieldeval library    load_suite, Store.open on a new SQLite file, run_suite(use_cache=False):
                       from loading the suite to the run being stored (imports excluded)
  (both also with `stream: true`)
  bare script          `python bare_client.py` as a subprocess (start-up + aiohttp import + calls)
  fieldeval CLI        `python -m fieldeval run suite.yaml -q --no-cache --db X.db` as a subprocess,
                       X.db new (alembic migrates it first) or a store earlier runs already use
  ... and both again on a one-example dataset
  promptfoo / Inspect AI, only when already installed (never installed by this script)

  CPU at --cpu-n       the bare loop and the library again on 20,000 examples, timed by the
                       process's CPU time (every thread), not the wall clock

It prints the median of each, its ratio to the matching bare case, the goal and PASS/MISS.
Goals (issue 23): the library within 1.5x the bare loop on N examples; the CLI within 1.8x
the bare script (start-up included); the one-example CLI run under 0.5 s; the library's CPU
per example within 1.5x the bare loop's at 20,000 examples.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import HERE, PYTHON, child_env, fast_server, write_workspace
from bare_client import run_bare

LIB_GOAL = 1.5
CLI_GOAL = 1.8
CPU_GOAL = 1.5
ONE_EXAMPLE_GOAL_S = 0.5


# -- the measured cases --------------------------------------------------------------------


def time_bare(url: str, suite: Path, concurrency: int, stream: bool) -> float:
    elapsed, passed, total = run_bare(
        url, str(suite.parent / "data.csv"), concurrency=concurrency, stream=stream
    )
    if passed != total:
        raise RuntimeError(f"bare loop: only {passed}/{total} passed")
    return elapsed


def time_library(suite: Path, db: Path, breakdown: dict[str, list[float]] | None = None) -> float:
    from fieldeval.runner import run_suite
    from fieldeval.store import Store
    from fieldeval.suite.loader import load_suite

    _remove_store(db)
    started = time.perf_counter()
    loaded = load_suite(suite)
    loaded_at = time.perf_counter()
    store = Store.open(f"sqlite:///{db}")
    opened_at = time.perf_counter()
    try:
        info = run_suite(loaded, store, use_cache=False)
        elapsed = time.perf_counter() - started
        if breakdown is not None:
            breakdown.setdefault("load suite", []).append(loaded_at - started)
            breakdown.setdefault("open fresh store", []).append(opened_at - loaded_at)
            breakdown.setdefault("run_suite", []).append(elapsed - (opened_at - started))
        _verify_run(store, info.id, info.n_planned)
    finally:
        store.close()
    return elapsed


def cpu_seconds(run: Callable[[], object]) -> float:
    """The process's CPU time (all threads: the store's writer too) that `run` took."""
    started = time.process_time()
    run()
    return time.process_time() - started


def _remove_store(db: Path) -> None:
    for leftover in db.parent.glob(db.name + "*"):  # the file and its -wal, -shm
        leftover.unlink()


def _verify_run(store: object, run_id: str, planned: int) -> None:
    outputs = store.outputs(run_id)  # type: ignore[attr-defined]
    passed = sum(1 for o in outputs if o.checks and all(c.passed for c in o.checks))
    if len(outputs) != planned or passed != planned:
        raise RuntimeError(f"fieldeval stored {len(outputs)}/{planned} outputs, {passed} passed")


def time_subprocess(
    command: list[str],
    *,
    cwd: Path,
    env: dict[str, str] | None = None,
    check_output: str | None = None,
) -> float:
    started = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, env=env or child_env(), capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if done.returncode != 0 or (check_output and check_output not in done.stdout):
        raise RuntimeError(
            f"{' '.join(command)} failed ({done.returncode}):\n"
            f"{done.stdout[-2000:]}\n{done.stderr[-2000:]}"
        )
    return elapsed


def bare_script(url: str, suite: Path, concurrency: int) -> list[str]:
    return [
        PYTHON,
        str(HERE / "bare_client.py"),
        url,
        str(suite.parent / "data.csv"),
        "--concurrency",
        str(concurrency),
    ]


def fieldeval_cli(suite: Path, db: Path) -> list[str]:
    return [PYTHON, "-m", "fieldeval", "run", str(suite), "-q", "--no-cache", "--db", str(db)]


def time_cli(suite: Path, db: Path, *, fresh: bool = True) -> float:
    """The CLI on a new store (migrations run), or on one that earlier runs already use."""
    if fresh:
        _remove_store(db)
    return time_subprocess(
        fieldeval_cli(suite, db), cwd=suite.parent, check_output="results stored in"
    )


# -- other tools, only when installed ------------------------------------------------------


def promptfoo_command() -> list[str] | None:
    """promptfoo if it is already installed (PATH, ./node_modules, npm's global root)."""
    found = shutil.which("promptfoo")
    if found:
        return [found]
    local = Path("node_modules/.bin/promptfoo")
    if local.exists():
        return [str(local.resolve())]
    npm = shutil.which("npm")
    if npm:
        try:
            root = subprocess.run(
                [npm, "root", "-g"], capture_output=True, text=True, timeout=30
            ).stdout.strip()
        except (OSError, subprocess.TimeoutExpired):
            root = ""
        # Installed globally but not on PATH: npx --no runs it and never installs anything.
        if root and Path(root, "promptfoo").is_dir() and shutil.which("npx"):
            return ["npx", "--no", "--", "promptfoo"]
    return None


def time_promptfoo(command: list[str], url: str, suite: Path, concurrency: int) -> float:
    config = suite.parent / "promptfooconfig.yaml"
    config.write_text(
        "prompts: ['{{question}}']\n"
        "providers:\n"
        f"  - id: openai:chat:fast\n    config: {{apiBaseUrl: '{url}/v1', apiKey: dummy}}\n"
        "tests: file://data.csv\n"
        "defaultTest:\n  assert:\n    - {type: contains, value: echo}\n",
        encoding="utf-8",
    )
    env = child_env() | {"PROMPTFOO_DISABLE_TELEMETRY": "1", "PROMPTFOO_DISABLE_UPDATE": "1"}
    return time_subprocess(
        [
            *command,
            "eval",
            "-c",
            str(config),
            "--no-cache",
            "-j",
            str(concurrency),
            "--no-progress-bar",
        ],
        cwd=suite.parent,
        env=env,
    )


def inspect_command() -> list[str] | None:
    try:
        import importlib.util

        if importlib.util.find_spec("inspect_ai") is None:
            return None
    except (ImportError, ValueError):
        return None
    script = Path(PYTHON).parent / "inspect"
    return [str(script)] if script.exists() else None


def time_inspect(command: list[str], url: str, suite: Path, concurrency: int) -> float:
    directory = suite.parent
    with (
        open(directory / "data.csv", encoding="utf-8") as source,
        open(directory / "inspect.csv", "w", encoding="utf-8") as target,
    ):
        header, *rows = source.read().splitlines()
        target.write(header + ",target\n" + "".join(f"{row},echo\n" for row in rows))
    (directory / "inspect_task.py").write_text(
        "from inspect_ai import Task, task\n"
        "from inspect_ai.dataset import FieldSpec, csv_dataset\n"
        "from inspect_ai.scorer import includes\n"
        "from inspect_ai.solver import generate\n\n"
        "@task\n"
        "def bench():\n"
        "    return Task(dataset=csv_dataset('inspect.csv', FieldSpec(input='question', "
        "target='target', id='id')), solver=generate(), scorer=includes())\n",
        encoding="utf-8",
    )
    env = child_env() | {"FAST_BASE_URL": f"{url}/v1", "FAST_API_KEY": "dummy"}
    return time_subprocess(
        [
            *command,
            "eval",
            "inspect_task.py",
            "--model",
            "openai-api/fast/fast",
            "--max-connections",
            str(concurrency),
            "--display",
            "none",
        ],
        cwd=directory,
        env=env,
    )


# -- the table -----------------------------------------------------------------------------


def median(values: list[float]) -> float:
    return statistics.median(values)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--cpu-n", type=int, default=20_000, help="0: skip the CPU cases")
    parser.add_argument("--json", type=Path, help="also write the medians here")
    args = parser.parse_args()

    times: dict[str, list[float]] = {}
    breakdown: dict[str, list[float]] = {}

    def record(case: str, seconds: float) -> None:
        times.setdefault(case, []).append(seconds)

    import fieldeval.runner  # library imports are not part of the library timing
    import fieldeval.store
    import fieldeval.suite.loader  # noqa: F401

    with fast_server() as url, tempfile.TemporaryDirectory(prefix="fieldeval-bench-") as tmp:
        root = Path(tmp)
        c = args.concurrency
        plain = write_workspace(root / "plain", n=args.n, base_url=url, concurrency=c, stream=False)
        streamed = write_workspace(
            root / "stream", n=args.n, base_url=url, concurrency=c, stream=True
        )
        one = write_workspace(root / "one", n=1, base_url=url, concurrency=c, stream=False)
        big = (
            write_workspace(root / "big", n=args.cpu_n, base_url=url, concurrency=c, stream=False)
            if args.cpu_n
            else None
        )
        db = root / "bench.db"

        print(
            f"fast server at {url}; {args.n} examples, concurrency {c}, "
            f"{args.repeats} repeats, {os.cpu_count()} CPUs",
            flush=True,
        )
        # Warm-up, not counted: the server's first connections, the page cache, .pyc files.
        time_bare(url, plain, c, False)
        time_library(plain, db)
        used_db = root / "used.db"  # a store that earlier runs already use, as day to day
        time_cli(plain, used_db)

        for repeat in range(args.repeats):
            record("bare", time_bare(url, plain, c, False))
            record("lib", time_library(plain, db, breakdown))
            record("bare_stream", time_bare(url, streamed, c, True))
            record("lib_stream", time_library(streamed, db))
            record(
                "bare_sub",
                time_subprocess(
                    bare_script(url, plain, c), cwd=root, check_output=f"PASSED {args.n}/{args.n}"
                ),
            )
            record("cli", time_cli(plain, db))
            record("cli_used", time_cli(plain, used_db, fresh=False))
            record(
                "bare_sub_1",
                time_subprocess(bare_script(url, one, c), cwd=root, check_output="PASSED 1/1"),
            )
            record("cli_1", time_cli(one, db))
            record("cli_1_used", time_cli(one, used_db, fresh=False))
            if big is not None:
                record("bare_cpu", cpu_seconds(lambda: time_bare(url, big, c, False)))
                record("lib_cpu", cpu_seconds(lambda: time_library(big, db)))
            print(
                f"  repeat {repeat + 1}/{args.repeats}: "
                + ", ".join(f"{k} {v[-1]:.2f}s" for k, v in times.items()),
                flush=True,
            )

        others: dict[str, str] = {}
        peers = (
            ("promptfoo", "promptfoo", promptfoo_command, time_promptfoo),
            ("Inspect AI", "inspect", inspect_command, time_inspect),
        )
        for name, key, find, time_peer in peers:
            command = find()
            if command is None:
                others[name] = "not installed"
                continue
            try:
                for _ in range(args.repeats):
                    record(key, time_peer(command, url, plain, c))
                    record(f"{key}_1", time_peer(command, url, one, c))
            except (RuntimeError, OSError) as error:
                others[name] = f"failed: {str(error).splitlines()[0]}"

    m = {case: median(values) for case, values in times.items()}
    n = args.n
    rows = [
        (f"bare aiohttp loop, {n} ex (in-process)", "bare", None, None),
        (f"fieldeval run_suite, {n} ex, stored", "lib", "bare", LIB_GOAL),
        (f"bare aiohttp loop, {n} ex, stream", "bare_stream", None, None),
        (f"fieldeval run_suite, {n} ex, stream, stored", "lib_stream", "bare_stream", LIB_GOAL),
        (f"bare script, {n} ex (subprocess)", "bare_sub", None, None),
        (f"fieldeval CLI, {n} ex, new store", "cli", "bare_sub", CLI_GOAL),
        (f"fieldeval CLI, {n} ex, existing store", "cli_used", "bare_sub", CLI_GOAL),
        ("bare script, 1 ex (subprocess)", "bare_sub_1", None, None),
        ("fieldeval CLI, 1 ex, new store", "cli_1", "bare_sub_1", None),
        ("fieldeval CLI, 1 ex, existing store", "cli_1_used", "bare_sub_1", None),
        (f"bare aiohttp loop, {args.cpu_n} ex, CPU s", "bare_cpu", None, None),
        (f"fieldeval run_suite, {args.cpu_n} ex, CPU s", "lib_cpu", "bare_cpu", CPU_GOAL),
        (f"promptfoo, {n} ex", "promptfoo", "bare_sub", None),
        ("promptfoo, 1 ex", "promptfoo_1", "bare_sub_1", None),
        (f"Inspect AI, {n} ex", "inspect", "bare_sub", None),
        ("Inspect AI, 1 ex", "inspect_1", "bare_sub_1", None),
    ]
    print()
    print(f"{'case':<46} {'seconds':>8} {'vs bare':>8}  {'goal':<9} result")
    print("-" * 80)
    for label, case, base, goal in rows:
        if case not in m:
            continue
        ratio = m[case] / m[base] if base else 1.0
        if case in ("cli_1", "cli_1_used"):
            goal_text, ok = f"< {ONE_EXAMPLE_GOAL_S:g} s", m[case] < ONE_EXAMPLE_GOAL_S
        elif goal is not None:
            goal_text, ok = f"<= {goal:g}x", ratio <= goal
        else:
            goal_text, ok = "", None
        verdict = "" if ok is None else ("PASS" if ok else "MISS")
        ratio_text = f"{ratio:.2f}x" if base else "-"
        print(f"{label:<46} {m[case]:>8.3f} {ratio_text:>8}  {goal_text:<9} {verdict}")
    for tool, status in others.items():
        print(f"{tool:<46} {status}")
    if breakdown:
        print(
            "\nfieldeval run_suite breakdown (median s): "
            + ", ".join(f"{k} {median(v):.3f}" for k, v in breakdown.items())
        )
    spread = {case: f"{min(v):.3f}-{max(v):.3f}" for case, v in times.items()}
    print("ranges (min-max s): " + ", ".join(f"{k} {v}" for k, v in spread.items()))
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "medians": m,
                    "all": times,
                    "others": others,
                    "n": n,
                    "concurrency": args.concurrency,
                },
                indent=2,
            )
        )


if __name__ == "__main__":
    main()
