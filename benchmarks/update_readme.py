"""Run every benchmark and write what they print into the README's benchmark section.

    python benchmarks/update_readme.py [--quick]

Each script runs as a subprocess, as a user would run it; its output, without the progress
lines, replaces the block between `<!-- benchmarks:start -->` and `<!-- benchmarks:end -->`
in README.md, with the command, the date and the machine. `--quick` passes smaller sizes
and one repeat, for trying this script, not for the README of a release.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
README = HERE.parent / "README.md"
START, END = "<!-- benchmarks:start -->", "<!-- benchmarks:end -->"

# (what it measures, the script's arguments, the same in --quick)
SCRIPTS = (
    ("a run against a fast server", ["run_speed.py"], ["run_speed.py", "--repeats", "1"]),
    ("start-up of a one-example run", ["startup.py"], ["startup.py", "--repeats", "1"]),
    (
        "the load client against a streaming stub",
        ["run_load.py"],
        ["run_load.py", "--repeats", "1", "--duration", "2"],
    ),
    (
        "peak memory",
        ["run_memory.py"],
        ["run_memory.py", "--sizes", "1000", "5000"],
    ),
    ("the grading screen on a large run", ["grading.py"], ["grading.py", "--saves", "20"]),
    (
        "collecting production traces",
        ["collect.py"],
        ["collect.py", "--repeats", "1", "--spans", "2000"],
    ),
)
PROGRESS = re.compile(r"^\s*(repeat \d|fast server at|server on core|\s*\d+ examples: )")


def run(arguments: list[str]) -> str:
    done = subprocess.run(
        [sys.executable, str(HERE / arguments[0]), *arguments[1:]],
        capture_output=True, text=True, check=True, cwd=HERE.parent,
    )  # fmt: skip
    lines = [line.rstrip() for line in done.stdout.splitlines() if not PROGRESS.match(line)]
    return "\n".join(lines).strip()


def section(outputs: list[tuple[str, list[str], str]]) -> str:
    machine = f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}"
    parts = [
        START,
        f"Printed by `python benchmarks/update_readme.py` on {datetime.now(UTC):%Y-%m-%d}"
        f" ({machine}); each figure's baseline is measured in the same run.",
    ]
    for what, arguments, text in outputs:
        parts += [f"\n**{what}**: `python benchmarks/{' '.join(arguments)}`\n", "```", text, "```"]
    parts.append(END)
    return "\n".join(parts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    outputs = []
    for what, full, quick in SCRIPTS:
        arguments = quick if args.quick else full
        print(f"running {' '.join(arguments)} ...", flush=True)
        outputs.append((what, arguments, run(arguments)))
    text = README.read_text(encoding="utf-8")
    if START not in text or END not in text:
        raise SystemExit(f"{README} has no {START} ... {END} block to replace")
    before, rest = text.split(START, 1)
    _, after = rest.split(END, 1)
    README.write_text(before + section(outputs) + after, encoding="utf-8")
    print(f"wrote the benchmark section of {README}")


if __name__ == "__main__":
    main()
