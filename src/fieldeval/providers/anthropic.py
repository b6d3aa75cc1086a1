"""Anthropic's Messages API."""

from __future__ import annotations

import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import aiohttp

from fieldeval.errors import ErrorKind, ProviderError
from fieldeval.providers import sse
from fieldeval.providers._transport import (
    MAX_DETAIL_CHARS,
    JSONClient,
    api_key_from_env,
    as_dict,
    bad_response,
    int_or_none,
    key_warnings,
    parse_json,
    str_or_none,
    streamed_completion,
)
from fieldeval.providers.registry import ANTHROPIC_MAX_TOKENS as DEFAULT_MAX_TOKENS
from fieldeval.records.completion import Completion, Usage
from fieldeval.records.request import ModelRequest
from fieldeval.suite.candidates import AnthropicCandidate

API_VERSION = "2023-06-01"

# The `type` of an error object, in a body or an `error` stream event.
_ERROR_KINDS = {
    "rate_limit_error": ErrorKind.RATE_LIMITED,
    "overloaded_error": ErrorKind.SERVER_ERROR,
    "api_error": ErrorKind.SERVER_ERROR,
    "timeout_error": ErrorKind.TIMEOUT,
}


class AnthropicProvider:
    """Calls `POST {base_url}/v1/messages`, streaming by default to time the first token."""

    def __init__(
        self,
        *,
        model: str,
        api_key: str,
        base_url: str = "https://api.anthropic.com",
        stream: bool = True,
        timeout_s: float = 120.0,
        max_connections: int = 4,
        name: str = "anthropic",
    ) -> None:
        # Accept a base URL given with its `/v1`, as OpenAI-style settings usually are.
        self.base_url = base_url.rstrip("/").removesuffix("/v1")
        self.model = model
        self.stream = stream
        self.name = name
        headers = {"x-api-key": api_key, "anthropic-version": API_VERSION}
        self._client = JSONClient(
            headers=headers, timeout_s=timeout_s, max_connections=max_connections, secret=api_key
        )

    def __repr__(self) -> str:
        return f"AnthropicProvider(base_url={self.base_url!r}, model={self.model!r})"

    def cache_identity(self) -> Mapping[str, Any]:
        return {"provider": self.name, "base_url": self.base_url, "model": self.model}

    async def complete(self, request: ModelRequest) -> Completion:
        body = _body(self.model, request, stream=self.stream)
        started = time.perf_counter()
        async with self._client.post(f"{self.base_url}/v1/messages", body) as response:
            first_byte = time.perf_counter() - started  # `post` yields once the headers are in
            if self.stream:
                completion = await self._read_stream(response, request, started)
            else:
                completion = await self._read_whole(response, request, started)
        completion.first_byte_s = first_byte
        return completion

    async def aclose(self) -> None:
        await self._client.aclose()

    async def _read_whole(
        self, response: aiohttp.ClientResponse, request: ModelRequest, started: float
    ) -> Completion:
        raw = self._client.redact(await response.text(errors="replace"))
        latency = time.perf_counter() - started
        data = as_dict(parse_json(raw, "the response"))
        content = data.get("content")
        if not isinstance(content, list):
            raise bad_response("the response has no content", raw)
        text = "".join(
            block["text"]
            for block in map(as_dict, content)
            if block.get("type") == "text" and isinstance(block.get("text"), str)
        )
        usage = _usage(data.get("usage"))
        return Completion(
            text=text,
            usage=usage or Usage.estimate(request.messages, text),
            finish_reason=str_or_none(data.get("stop_reason")),
            latency_s=latency,
            model=str_or_none(data.get("model")),
        )

    async def _read_stream(
        self, response: aiohttp.ClientResponse, request: ModelRequest, started: float
    ) -> Completion:
        parts: list[str] = []
        chunk_times: list[float] = []
        stop_reason: str | None = None
        usage: Usage | None = None
        model: str | None = None
        stopped = False
        async for event in sse.events(response):
            arrived = time.perf_counter() - started
            data = as_dict(parse_json(self._client.redact(event.data), f"a {event.event!r} event"))
            kind = data.get("type", event.event)
            if kind == "message_start":
                message = as_dict(data.get("message"))
                model = str_or_none(message.get("model"))
                usage = _usage(message.get("usage"))
            elif kind == "content_block_delta":
                delta = as_dict(data.get("delta"))
                text = delta.get("text")
                if delta.get("type") == "text_delta" and isinstance(text, str) and text:
                    parts.append(text)
                    chunk_times.append(arrived)
            elif kind == "message_delta":
                stop_reason = (
                    str_or_none(as_dict(data.get("delta")).get("stop_reason")) or stop_reason
                )
                output_tokens = int_or_none(as_dict(data.get("usage")).get("output_tokens"))
                if usage is not None and output_tokens is not None:
                    usage.output_tokens = output_tokens
            elif kind == "message_stop":
                stopped = True
                break
            elif kind == "error":
                raise self._error(as_dict(data.get("error")))
        latency = time.perf_counter() - started
        if not stopped and stop_reason is None:
            raise bad_response("the stream ended before message_stop and without a stop_reason")
        return streamed_completion(
            request,
            parts,
            chunk_times,
            latency_s=latency,
            finish_reason=stop_reason,
            usage=usage,
            model=model,
            secret=self._client.secret,
        )

    def _error(self, error: Mapping[str, Any]) -> ProviderError:
        error_type = str(error.get("type", "error"))
        message = self._client.redact(str(error.get("message", "")))[:MAX_DETAIL_CHARS]
        kind = _ERROR_KINDS.get(error_type, ErrorKind.CLIENT_ERROR)
        return ProviderError(f"{error_type} mid-stream: {message}", kind)


def _body(model: str, request: ModelRequest, *, stream: bool) -> dict[str, Any]:
    params = dict(request.params)
    # Anthropic's names differ, and it has no seed: dropping it beats a 400 on every call.
    params.pop("seed", None)
    stop = params.pop("stop", None)
    if stop is not None:
        params["stop_sequences"] = [stop] if isinstance(stop, str) else list(stop)
    system = "\n\n".join(m.content for m in request.messages if m.role == "system")
    body: dict[str, Any] = {"max_tokens": DEFAULT_MAX_TOKENS, **params}
    body["model"] = model
    body["messages"] = [m.to_dict() for m in request.messages if m.role != "system"]
    if system:
        body["system"] = system
    body["stream"] = stream
    return body


def _usage(data: Any) -> Usage | None:
    """Usage in OpenAI's sense: input counts every prompt token, cached ones included.

    Anthropic's `input_tokens` counts only the tokens that were neither read from nor
    written to the cache, so the three are added up.
    """
    data = as_dict(data)
    uncached = int_or_none(data.get("input_tokens"))
    output_tokens = int_or_none(data.get("output_tokens"))
    if uncached is None and output_tokens is None:
        return None  # absent or empty: the caller estimates instead
    cached = int_or_none(data.get("cache_read_input_tokens"))
    written = int_or_none(data.get("cache_creation_input_tokens"))
    total = None if uncached is None else uncached + (cached or 0) + (written or 0)
    return Usage(input_tokens=total, output_tokens=output_tokens, cached_input_tokens=cached)


def from_candidate(candidate: AnthropicCandidate, *, base_dir: Path) -> AnthropicProvider:
    """The provider for a suite's `provider: anthropic` candidate; reads the key now."""
    return AnthropicProvider(
        model=candidate.model,
        api_key=api_key_from_env(candidate.api_key_env, candidate.id, optional_hint=False),
        base_url=candidate.base_url,
        stream=candidate.stream,
        timeout_s=candidate.timeout_s,
        max_connections=candidate.concurrency,
    )


def check(candidate: AnthropicCandidate, *, base_dir: Path) -> tuple[str, ...]:
    """`validate`'s look: the key's variable is set, or a warning says how to set it."""
    return key_warnings(candidate.api_key_env, candidate.id)
