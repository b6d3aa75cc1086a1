"""OpenAI's Chat Completions API, and the many servers that copy it (vLLM, llama.cpp, Ollama)."""

from __future__ import annotations

import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import aiohttp

from fieldeval.errors import ErrorKind, ProviderError
from fieldeval.providers import sse
from fieldeval.providers._transport import (
    JSONClient,
    api_key_from_env,
    as_dict,
    bad_response,
    error_detail,
    int_or_none,
    key_warnings,
    parse_json,
    str_or_none,
    streamed_completion,
)
from fieldeval.records.completion import Completion, Usage
from fieldeval.records.request import ModelRequest
from fieldeval.suite.candidates import OpenAICandidate


class OpenAIProvider:
    """Calls `POST {base_url}/chat/completions`, streaming by default to time the first token."""

    def __init__(
        self,
        *,
        base_url: str,
        model: str,
        api_key: str | None,
        stream: bool = True,
        timeout_s: float = 120.0,
        max_connections: int = 4,
        extra_body: Mapping[str, Any] | None = None,
        name: str = "openai",
        reuse_connections: bool = True,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.model = model
        self.stream = stream
        self.name = name
        self._extra_body = dict(extra_body or {})
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._client = JSONClient(
            headers=headers,
            timeout_s=timeout_s,
            max_connections=max_connections,
            secret=api_key,
            reuse_connections=reuse_connections,
        )

    def __repr__(self) -> str:
        return f"OpenAIProvider(base_url={self.base_url!r}, model={self.model!r})"

    def cache_identity(self) -> Mapping[str, Any]:
        return {"provider": self.name, "base_url": self.base_url, "model": self.model}

    async def complete(self, request: ModelRequest) -> Completion:
        body = self._body(request)
        started = time.perf_counter()
        async with self._client.post(f"{self.base_url}/chat/completions", body) as response:
            first_byte = time.perf_counter() - started  # `post` yields once the headers are in
            if self.stream:
                completion = await self._read_stream(response, request, started)
            else:
                completion = await self._read_whole(response, request, started)
        completion.first_byte_s = first_byte
        return completion

    async def aclose(self) -> None:
        await self._client.aclose()

    def _body(self, request: ModelRequest) -> dict[str, Any]:
        body: dict[str, Any] = {**self._extra_body, **request.params}
        body["model"] = self.model
        body["messages"] = [message.to_dict() for message in request.messages]
        body["stream"] = self.stream
        if self.stream:
            body["stream_options"] = {**as_dict(body.get("stream_options")), "include_usage": True}
        else:
            body.pop("stream_options", None)  # the API rejects it on a plain call
        return body

    async def _read_whole(
        self, response: aiohttp.ClientResponse, request: ModelRequest, started: float
    ) -> Completion:
        raw = self._client.redact(await response.text(errors="replace"))
        latency = time.perf_counter() - started
        data = as_dict(parse_json(raw, "the response"))
        choices = data.get("choices")
        if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
            raise bad_response("the response has no choices", raw)
        content = as_dict(choices[0].get("message")).get("content")
        text = content if isinstance(content, str) else ""  # null when the model calls a tool
        return Completion(
            text=text,
            usage=_usage(data.get("usage")) or Usage.estimate(request.messages, text),
            finish_reason=str_or_none(choices[0].get("finish_reason")),
            latency_s=latency,
            model=str_or_none(data.get("model")),
        )

    async def _read_stream(
        self, response: aiohttp.ClientResponse, request: ModelRequest, started: float
    ) -> Completion:
        parts: list[str] = []
        chunk_times: list[float] = []
        finish_reason: str | None = None
        usage: Usage | None = None
        model: str | None = None
        done = False
        redact = self._client.redact
        # Per event, only what a chunk holds is looked at: a load test reads tens of
        # thousands of them a second, and this loop is most of its client's time.
        async for event in sse.events(response):
            arrived = time.perf_counter() - started
            if event.done:
                done = True
                break
            chunk = as_dict(parse_json(redact(event.data), "a stream chunk"))
            if "error" in chunk:
                raise ProviderError(redact(error_detail(event.data)), ErrorKind.SERVER_ERROR)
            if model is None:
                model = str_or_none(chunk.get("model"))
            if chunk.get("usage"):
                usage = _usage(chunk["usage"]) or usage
            choices = chunk.get("choices")
            if not choices or not isinstance(choices, list):
                continue
            # With n > 1 the choices interleave; only the first is ever asked for.
            choice = as_dict(choices[0])
            if choice.get("index", 0) != 0:
                continue
            content = as_dict(choice.get("delta")).get("content")
            if isinstance(content, str) and content:
                parts.append(content)
                chunk_times.append(arrived)
            if (reason := choice.get("finish_reason")) is not None:
                finish_reason = str_or_none(reason) or finish_reason
        latency = time.perf_counter() - started
        if not done and finish_reason is None:
            raise bad_response("the stream ended before [DONE] and without a finish_reason")
        return streamed_completion(
            request,
            parts,
            chunk_times,
            latency_s=latency,
            finish_reason=finish_reason,
            usage=usage,
            model=model,
            secret=self._client.secret,
        )


def _usage(data: Any) -> Usage | None:
    data = as_dict(data)
    input_tokens = int_or_none(data.get("prompt_tokens"))
    output_tokens = int_or_none(data.get("completion_tokens"))
    if input_tokens is None and output_tokens is None:
        return None  # absent or empty: the caller estimates instead
    return Usage(
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        cached_input_tokens=int_or_none(
            as_dict(data.get("prompt_tokens_details")).get("cached_tokens")
        ),
        reasoning_tokens=int_or_none(
            as_dict(data.get("completion_tokens_details")).get("reasoning_tokens")
        ),
    )


def from_candidate(candidate: OpenAICandidate, *, base_dir: Path) -> OpenAIProvider:
    """The provider for a suite's `provider: openai` candidate; reads the key now."""
    api_key = (
        None
        if candidate.api_key_env is None
        else api_key_from_env(candidate.api_key_env, candidate.id, optional_hint=True)
    )
    return OpenAIProvider(
        base_url=candidate.base_url,
        model=candidate.model,
        api_key=api_key,
        stream=candidate.stream,
        timeout_s=candidate.timeout_s,
        max_connections=candidate.concurrency,
    )


def check(candidate: OpenAICandidate, *, base_dir: Path) -> tuple[str, ...]:
    """`validate`'s look: the key's variable is set, or a warning says how to set it."""
    return key_warnings(candidate.api_key_env, candidate.id)
