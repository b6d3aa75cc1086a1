"""Start the fake model server (`openai_server.py`) as a separate process for a test."""

from __future__ import annotations

import json
import queue
import subprocess
import sys
import threading
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SERVER = Path(__file__).with_name("openai_server.py")
START_TIMEOUT_S = 20.0


@dataclass(frozen=True)
class ServerHandle:
    root_url: str  # http://127.0.0.1:PORT
    process: subprocess.Popen[str]

    @property
    def url(self) -> str:
        """The OpenAI-style base URL, ending in /v1."""
        return f"{self.root_url}/v1"

    def stats(self) -> dict[str, Any]:
        """Calls in all (`calls`), per last user message (`prompts`), per fault (`faults`)."""
        with urllib.request.urlopen(f"{self.root_url}/stats", timeout=5) as response:
            stats: dict[str, Any] = json.load(response)
        return stats

    def reset(self) -> None:
        request = urllib.request.Request(f"{self.root_url}/reset", method="POST")
        with urllib.request.urlopen(request, timeout=5):
            pass


@contextmanager
def start_server(*args: str) -> Iterator[ServerHandle]:
    """Run the server with these command-line arguments until the block ends."""
    process = subprocess.Popen(
        [sys.executable, str(SERVER), "--exit-on-eof", *args],
        stdin=subprocess.PIPE,  # closing it (or dying) stops the server
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        root_url = _await_listening(process)
        yield ServerHandle(root_url=root_url, process=process)
    finally:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        for pipe in (process.stdin, process.stdout):
            if pipe is not None:
                pipe.close()


def _await_listening(process: subprocess.Popen[str]) -> str:
    # readline() has no timeout, so a thread reads while this one waits on the queue.
    lines: queue.Queue[str] = queue.Queue()
    assert process.stdout is not None
    stdout = process.stdout
    threading.Thread(target=lambda: lines.put(stdout.readline()), daemon=True).start()
    try:
        line = lines.get(timeout=START_TIMEOUT_S)
    except queue.Empty:
        raise RuntimeError(f"{SERVER.name} did not start within {START_TIMEOUT_S:g} s") from None
    if not line.startswith("LISTENING "):
        raise RuntimeError(f"{SERVER.name} failed to start (exit code {process.poll()}): {line!r}")
    return line.split()[1]
