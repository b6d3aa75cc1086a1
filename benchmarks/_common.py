"""What the benchmark scripts share: the fast server as a subprocess, and a workspace."""

from __future__ import annotations

import contextlib
import csv
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

HERE = Path(__file__).resolve().parent
PYTHON = sys.executable


@contextlib.contextmanager
def fast_server() -> Iterator[str]:
    """Start `fast_server.py` in its own process; yield its base URL (no /v1)."""
    process = subprocess.Popen(
        [PYTHON, str(HERE / "fast_server.py"), "--exit-on-eof"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline().strip()
        if not line.startswith("LISTENING "):
            raise RuntimeError(f"the fast server did not start: {line!r}")
        yield line.removeprefix("LISTENING ")
    finally:
        if process.stdin is not None:
            process.stdin.close()  # --exit-on-eof: it stops by itself
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


SUITE_YAML = """\
version: 1
task:
  name: {name}
  description: Echo benchmark; the server repeats the question's first words.
  prompt: "{{{{ question }}}}"
dataset:
  path: data.csv
  id: id
  input: question
candidates:
  - id: fast
    provider: openai
    model: fast
    base_url: {base_url}/v1
    api_key_env: null
    concurrency: {concurrency}
    stream: {stream}
checks:
  - {{contains: echo}}
"""


def write_workspace(
    directory: Path,
    *,
    n: int,
    base_url: str,
    concurrency: int,
    stream: bool,
    name: str = "speed-bench",
) -> Path:
    """N one-line examples as data.csv and a suite.yaml over them; returns the suite path."""
    directory.mkdir(parents=True, exist_ok=True)
    with open(directory / "data.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "question"])
        for i in range(n):
            question = f"Question {i}: what is {i} plus {i + 1}? Answer in one line."
            writer.writerow([f"q{i:06d}", question])
    suite = directory / "suite.yaml"
    suite.write_text(
        SUITE_YAML.format(
            name=name,
            base_url=base_url,
            concurrency=concurrency,
            stream="true" if stream else "false",
        ),
        encoding="utf-8",
    )
    return suite


def child_env() -> dict[str, str]:
    """The environment for subprocesses: no colour, no stray FIELDEVAL_DB."""
    env = dict(os.environ)
    env.pop("FIELDEVAL_DB", None)
    env["NO_COLOR"] = "1"
    return env
