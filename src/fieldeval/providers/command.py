"""A shell-free command as a candidate: the prompt goes to stdin, the answer is stdout.

The command runs in the suite's folder with `FIELDEVAL_EXAMPLE_ID` set when the example has
an `id`. It runs in its own process group so a timeout stops everything it started.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from fieldeval.errors import ConfigError, ErrorKind, ProviderError
from fieldeval.records.completion import Completion, Usage
from fieldeval.records.request import ModelRequest
from fieldeval.suite.candidates import CommandCandidate

_STDERR_TAIL_CHARS = 300


def find_executable(program: str, *, base_dir: Path) -> str:
    """The full path of `program`: a path relative to `base_dir`, or a name on PATH."""
    if os.sep in program or (os.altsep and os.altsep in program):
        path = base_dir / Path(program).expanduser()
        if path.is_file() and os.access(path, os.X_OK):
            return str(path.resolve())
        found = None
    else:
        found = shutil.which(program)
    if found is None:
        raise ConfigError(
            f"command {program!r} is not an executable file",
            hint="give a program on PATH or a path relative to the suite file",
        )
    return found


def _strip_newline(text: str) -> str:
    for ending in ("\r\n", "\n"):
        if text.endswith(ending):
            return text[: -len(ending)]
    return text


class CommandProvider:
    """Runs a command once per request."""

    def __init__(self, argv: Sequence[str], *, cwd: Path, timeout_s: float = 120.0) -> None:
        if not argv:
            raise ConfigError("the command is empty")
        self.argv = tuple(argv)
        self._program = find_executable(argv[0], base_dir=cwd)
        self._cwd = cwd
        self._timeout_s = timeout_s

    async def complete(self, request: ModelRequest) -> Completion:
        env = dict(os.environ)
        if "id" in request.variables:
            env["FIELDEVAL_EXAMPLE_ID"] = str(request.variables["id"])
        started = time.perf_counter()
        process = await asyncio.create_subprocess_exec(
            self._program,
            *self.argv[1:],
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            cwd=self._cwd,
            env=env,
            start_new_session=True,
        )
        try:
            stdout, stderr = await asyncio.wait_for(
                process.communicate(request.prompt_text.encode("utf-8")), self._timeout_s
            )
        except TimeoutError:
            raise ProviderError(
                f"{self.argv[0]} did not finish within {self._timeout_s:g} s; it was killed",
                ErrorKind.TIMEOUT,
            ) from None
        finally:
            # On a timeout or a cancelled run, nothing the command started may outlive it.
            if process.returncode is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                await process.wait()
        latency = time.perf_counter() - started
        if process.returncode != 0:
            tail = stderr.decode("utf-8", errors="replace")[-_STDERR_TAIL_CHARS:].strip()
            raise ProviderError(
                f"{self.argv[0]} exited with code {process.returncode}: {tail or '(no stderr)'}",
                ErrorKind.APP_ERROR,
            )
        text = _strip_newline(stdout.decode("utf-8", errors="replace"))
        return Completion(
            text=text, usage=Usage.estimate(request.messages, text), latency_s=latency
        )

    async def aclose(self) -> None:
        """Nothing to release: each call's process is gone when the call returns."""

    def cache_identity(self) -> Mapping[str, Any]:
        return {"provider": "command", "command": list(self.argv)}


def from_candidate(candidate: CommandCandidate, *, base_dir: Path) -> CommandProvider:
    return CommandProvider(candidate.command, cwd=base_dir, timeout_s=candidate.timeout_s)
