"""Streams that end wrong, for every streaming provider: nothing passes for an answer.

An empty stream (no content, no finish reason) is a `bad_response`, as the same reply
without streaming is; a key the server puts in its answer is redacted in the assembled
text even when the chunks split it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from tests.doubles.fixtures import ServerHandle, start_server

from fieldeval.errors import ErrorKind, ProviderError
from fieldeval.providers.anthropic import AnthropicProvider
from fieldeval.providers.openai import OpenAIProvider
from fieldeval.records.request import Message, ModelRequest

KEY = "sk-fieldeval-split-0123456789abcdef"


@pytest.fixture(scope="module")
def server() -> Iterator[ServerHandle]:
    with start_server() as handle:
        yield handle


def provider(kind: str, url: str, *, stream: bool = True) -> Any:
    if kind == "openai":
        return OpenAIProvider(base_url=url, model="fake", api_key=KEY, stream=stream)
    return AnthropicProvider(base_url=url, model="claude-fake", api_key=KEY, stream=stream)


def ask(prompt: str) -> ModelRequest:
    return ModelRequest(messages=(Message("user", prompt),))


@pytest.mark.parametrize("kind", ["openai", "anthropic"])
async def test_an_empty_stream_is_a_bad_response_not_an_empty_answer(
    server: ServerHandle, kind: str
) -> None:
    streaming = provider(kind, server.url)
    try:
        with pytest.raises(ProviderError) as caught:
            await streaming.complete(ask(f"{kind} says nothing [[fail:empty]]"))
    finally:
        await streaming.aclose()
    assert caught.value.kind is ErrorKind.BAD_RESPONSE
    assert "no content" in str(caught.value)


@pytest.mark.parametrize("kind", ["openai", "anthropic"])
@pytest.mark.parametrize("split", [3, 7])
async def test_a_key_split_across_chunks_is_redacted_in_the_answer(
    server: ServerHandle, kind: str, split: int
) -> None:
    streaming = provider(kind, server.url)
    try:
        answer = await streaming.complete(ask(f"my key is {KEY} ok [[split:{split}]]"))
    finally:
        await streaming.aclose()
    assert len(answer.chunk_times_s) > 5  # the answer really came in small pieces
    assert KEY not in answer.text
    assert "my key is *** ok" in answer.text


@pytest.mark.parametrize("kind", ["openai", "anthropic"])
async def test_the_same_key_without_streaming_is_redacted_too(
    server: ServerHandle, kind: str
) -> None:
    whole = provider(kind, server.url, stream=False)
    try:
        answer = await whole.complete(ask(f"my key is {KEY} ok"))
    finally:
        await whole.aclose()
    assert KEY not in answer.text and "***" in answer.text
