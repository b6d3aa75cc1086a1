"""What the web tests share: the suite they grade, the served app, and real HTTP calls."""

from __future__ import annotations

import json
import os
import queue
import re
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fieldeval.store import Store
from fieldeval.web.app import create_app
from fieldeval.web.context import ResultsContext
from fieldeval.web.security import security_for
from fieldeval.web.server import listen

# Never shown to a grader: tests look for them in everything the app sends.
CANDIDATES = ("cand-zebra", "cand-okapi")
PAYLOAD = (
    "<script>window.__pwned=1</script>\n"
    '<img src=x onerror="window.__pwned=1">\n'
    '<a href="javascript:window.__pwned=1">click me</a>'
)
TEXTS = {
    "e1": "Where is my refund?\n  It has been   three weeks.",
    "e2": "Cancel my card",
    "e3": "My <b>statement</b> & fees",
    "e4": "Loan payment bounced",
    "e5": "PAYLOAD please",
    "e6": "Thanks for the help",
}
BOT = f"""\
PAYLOAD = {PAYLOAD!r}

def first(request):
    text = request.variables["text"]
    return PAYLOAD if "PAYLOAD" in text else "Summary: " + text

def second(request):
    return "The customer writes:\\n    " + request.variables["text"].upper()
"""
SUITE = """\
task:
  name: triage
  description: |
    Summarise the customer's message in one line.
    Say only what the customer said.
  prompt: "{{ text }}"
dataset: {path: data.csv, id: id, input: text}
candidates:
  - {id: cand-zebra, provider: python, function: "webgrade_bot:first"}
  - {id: cand-okapi, provider: python, function: "webgrade_bot:second"}
rubric:
  - id: faithful
    question: Does the output say only what the customer said?
    pass_example: "Summary: the card was declined twice."
    fail_example: "Summary: the customer is angry about fees (never said)."
  - id: tone
    question: How calm and neutral is it?
    severity: minor
    scale:
      levels:
        - {value: 1, label: hostile, anchor: Takes sides or mocks the customer.}
        - {value: 2, label: uneven, anchor: Mostly neutral with a loaded word.}
        - {value: 3, label: neutral, anchor: Reports the facts without judging.}
      pass_at: 2
"""
START_TIMEOUT_S = 30.0


@dataclass(frozen=True)
class Graded:
    """A suite with a finished run of two candidates on six examples, in its own store."""

    suite: Path
    db: Path
    run_id: str

    @property
    def db_url(self) -> str:
        return f"sqlite:///{self.db}"

    def who_wrote(self) -> dict[str, tuple[str, str]]:
        """Output text -> (candidate, example): what the store says each shown text is."""
        store = Store.open(self.db_url)
        try:
            outputs = store.outputs(self.run_id)
        finally:
            store.close()
        return {o.text or "": (o.candidate_id, o.example_id) for o in outputs}


# -- the app, served by the real command -------------------------------------------------


@dataclass(frozen=True)
class Served:
    url: str  # as printed, e.g. http://127.0.0.1:PORT/grade?grader=ana
    token: str | None  # printed for scripts on loopback
    output: list[str]  # what the command printed up to the URL

    @property
    def base(self) -> str:
        match = re.match(r"https?://[^/]+", self.url)
        assert match is not None, self.url
        return match.group(0)


def fieldeval_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("FIELDEVAL_DB", "FIELDEVAL_TOKEN")}
    env["COLUMNS"] = "300"
    return env


@contextmanager
def serving(graded: Graded, *args: str, command_name: str = "grade") -> Iterator[Served]:
    """`fieldeval grade` (or `serve`) in its own process on port 0, until the block ends."""
    command = [sys.executable, "-m", "fieldeval", command_name, str(graded.suite), "--db"]
    command += [graded.db_url, "--no-open", "--port", "0", *args]
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=fieldeval_env(),
        cwd=graded.db.parent,
    )
    try:
        yield _await_url(process, token_line=command_name == "grade")
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        assert process.stdout is not None
        process.stdout.close()


def _await_url(process: subprocess.Popen[str], *, token_line: bool) -> Served:
    """The printed URL, and on loopback the token printed for scripts if `token_line`."""
    # readline() has no timeout, so a thread reads while this one waits on the queue.
    lines: queue.Queue[str] = queue.Queue()
    stdout = process.stdout
    assert stdout is not None

    def pump() -> None:
        for line in stdout:
            lines.put(line)
        lines.put("")

    threading.Thread(target=pump, daemon=True).start()
    seen: list[str] = []
    url = token = None
    while url is None or (token_line and token is None):
        try:
            line = lines.get(timeout=START_TIMEOUT_S)
        except queue.Empty:
            raise RuntimeError(f"fieldeval printed no URL: {seen}") from None
        if not line:
            if url is not None:
                break  # off loopback there is no token line: the URL carries it
            raise RuntimeError(f"fieldeval stopped (exit {process.poll()}): {seen}")
        seen.append(line)
        if found := re.search(r"open (http://\S+)", line):
            url = found.group(1)
            if "token=" in url:
                break
        if found := re.search(r"X-Fieldeval-Token\): (\S+)", line):
            token = found.group(1)
    return Served(url, token, seen)


@contextmanager
def serving_results(context: ResultsContext) -> Iterator[str]:
    """The results app of `context` served by uvicorn on loopback in this process, until the
    block ends; yields its base URL.

    For tests that set the context's own parameters (`inline_below`) and read its state;
    everything else is served by the real command (`serving`).
    """
    import uvicorn

    sock = listen("127.0.0.1", 0)
    app = create_app(
        security_for("127.0.0.1", None, app="the results app"), results_context=context
    )
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while not server.started and time.monotonic() < deadline and thread.is_alive():
            time.sleep(0.05)
        assert server.started, "uvicorn did not start"
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


# -- talking to it -----------------------------------------------------------------------


def call(
    method: str,
    url: str,
    body: Mapping[str, Any] | None = None,
    headers: Mapping[str, str] | None = None,
) -> tuple[int, Any]:
    """One real HTTP request: (status, decoded JSON or text)."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers=dict(headers or {}))
    if body is not None and "Content-Type" not in (headers or {}):
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            status, raw, kind = response.status, response.read(), response.headers["content-type"]
    except urllib.error.HTTPError as error:
        status, raw, kind = error.code, error.read(), error.headers["content-type"]
    text = raw.decode()
    return status, json.loads(text) if kind and "json" in kind else text


def post(served: Served, path: str, body: Mapping[str, Any]) -> tuple[int, Any]:
    assert served.token is not None
    return call("POST", served.base + path, body, {"X-Fieldeval-Token": served.token})
