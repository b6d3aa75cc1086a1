"""The team's own Python function as a candidate: `module:function`, sync or async.

The function gets the `ModelRequest` and returns a string, a `Completion`, or a dict with
`text` and optionally `usage`. An exception it raises is the app's failure, stored and not
retried, unless it is a `ProviderError`, whose kind is kept. A sync function runs in a
worker thread so it cannot stall the event loop.
"""

from __future__ import annotations

import asyncio
import importlib
import inspect
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from fieldeval.errors import ConfigError, ErrorKind, ProviderError
from fieldeval.records.completion import Completion, Usage
from fieldeval.records.request import ModelRequest
from fieldeval.suite.candidates import PythonCandidate

_SHOWN_CHARS = 200
_MAX_MESSAGE_CHARS = 1000


def load_function(spec: str, *, base_dir: Path) -> Callable[[ModelRequest], Any]:
    """The callable named by `module:function`, importable from `base_dir`."""
    module_name, _, attribute = spec.partition(":")
    where = str(base_dir.resolve())
    # The suite's own folder first, so the team's code wins over a same-named package.
    if where not in sys.path:
        sys.path.insert(0, where)
    try:
        target: Any = importlib.import_module(module_name)
    except ImportError as error:
        raise ConfigError(
            f"cannot import {module_name!r} for python function {spec!r}: {error}",
            hint=f"the module must be importable from {where} or the installed packages",
        ) from error
    for name in attribute.split("."):
        try:
            target = getattr(target, name)
        except AttributeError:
            raise ConfigError(
                f"{module_name!r} has no {attribute!r}", hint="check the name after the colon"
            ) from None
    if not callable(target):
        raise ConfigError(f"{spec!r} is a {type(target).__name__}, not a function")
    function: Callable[[ModelRequest], Any] = target
    return function


def to_completion(result: Any, request: ModelRequest) -> Completion:
    """The function's return value as a `Completion`; anything unexpected is a bad response."""
    if isinstance(result, Completion):
        return result
    if isinstance(result, str):
        return Completion(text=result, usage=Usage.estimate(request.messages, result))
    if isinstance(result, Mapping) and isinstance(result.get("text"), str):
        text: str = result["text"]
        usage = result.get("usage")
        if isinstance(usage, Usage):
            return Completion(text=text, usage=usage)
        if isinstance(usage, Mapping):
            return Completion(text=text, usage=Usage.from_dict(usage))
        if usage is None:
            return Completion(text=text, usage=Usage.estimate(request.messages, text))
    raise ProviderError(
        "the function must return a str, a Completion or a dict with a 'text' string"
        f" (and optionally 'usage'), not {repr(result)[:_SHOWN_CHARS]}",
        ErrorKind.BAD_RESPONSE,
    )


class PythonFunctionProvider:
    """Calls a Python function in this process."""

    def __init__(
        self, function: Callable[[ModelRequest], Any], *, name: str, timeout_s: float = 120.0
    ) -> None:
        self.function = function
        self.name = name
        self.timeout_s = timeout_s

    async def complete(self, request: ModelRequest) -> Completion:
        started = time.perf_counter()
        try:
            async with asyncio.timeout(self.timeout_s):
                result = await self._call(request)
        except TimeoutError as error:
            # A sync function's thread cannot be stopped; its answer, if it comes, is dropped.
            message = f"{self.name} did not return within {self.timeout_s:g} s"
            raise ProviderError(message, ErrorKind.TIMEOUT) from error
        except ProviderError:
            raise  # the function chose its own kind, e.g. RATE_LIMITED to be retried
        except Exception as error:  # whatever the team's code raises is a result to store
            message = f"{self.name} raised {type(error).__name__}: {error}"
            raise ProviderError(message[:_MAX_MESSAGE_CHARS], ErrorKind.APP_ERROR) from error
        latency = time.perf_counter() - started
        completion = to_completion(result, request)
        if completion.latency_s is None:
            completion.latency_s = latency
        return completion

    async def _call(self, request: ModelRequest) -> Any:
        if inspect.iscoroutinefunction(self.function):
            return await self.function(request)
        result = await asyncio.to_thread(self.function, request)
        if inspect.isawaitable(result):  # e.g. a callable object with an async __call__
            result = await result
        return result

    async def aclose(self) -> None:
        """Nothing to release: the function owns its own resources."""

    def cache_identity(self) -> Mapping[str, Any]:
        return {"provider": "python", "function": self.name}


def from_candidate(candidate: PythonCandidate, *, base_dir: Path) -> PythonFunctionProvider:
    function = load_function(candidate.function, base_dir=base_dir)
    return PythonFunctionProvider(function, name=candidate.function, timeout_s=candidate.timeout_s)
