"""`fieldeval collect` run as a user runs it: its own process, the URL read from what it prints."""

from __future__ import annotations

import os
import queue
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

START_TIMEOUT_S = 60.0


@dataclass
class Collector:
    url: str  # http://127.0.0.1:PORT/v1/traces
    process: subprocess.Popen[str]
    lines: queue.Queue[str] = field(default_factory=queue.Queue)

    @property
    def endpoint(self) -> str:
        """What OTEL_EXPORTER_OTLP_ENDPOINT takes: the URL without /v1/traces."""
        return self.url.removesuffix("/v1/traces")

    def next_line(self, timeout: float = START_TIMEOUT_S) -> str:
        """The next line it prints (each export it stores prints one)."""
        return self.lines.get(timeout=timeout)


@contextmanager
def collecting(db: str, *args: str) -> Iterator[Collector]:
    """`fieldeval collect --port 0 --db DB ARGS` until the block ends."""
    process = subprocess.Popen(
        [sys.executable, "-m", "fieldeval", "collect", "--port", "0", "--db", db, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "COLUMNS": "200"},
    )
    lines: queue.Queue[str] = queue.Queue()
    assert process.stdout is not None
    stdout = process.stdout

    def pump() -> None:
        for line in stdout:
            lines.put(line.rstrip("\n"))

    threading.Thread(target=pump, daemon=True).start()
    try:
        url = None
        line = ""
        while line != "Ctrl-C stops":  # the last line it prints before serving
            line = lines.get(timeout=START_TIMEOUT_S)
            if line.startswith("receiving OTLP/HTTP traces at "):
                url = line.split()[-1]
        assert url is not None
        yield Collector(url, process, lines)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
