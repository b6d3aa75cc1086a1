"""The OpenAI provider against the fake server, running as its own process."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.doubles.fixtures import ServerHandle, start_server

from fieldeval.errors import ConfigError, ErrorKind, ProviderError
from fieldeval.providers.openai import OpenAIProvider, from_candidate
from fieldeval.records.completion import Completion
from fieldeval.records.request import Message, ModelRequest
from fieldeval.suite.candidates import OpenAICandidate

KEY = "sk-fieldeval-test-9f8e7d6c5b4a"


@pytest.fixture(scope="module")
def server() -> Iterator[ServerHandle]:
    with start_server() as handle:
        yield handle


def ask(prompt: str, **params: object) -> ModelRequest:
    return ModelRequest(
        messages=(Message("system", "Be brief."), Message("user", prompt)), params=params
    )


async def complete(
    url: str, request: ModelRequest, *, stream: bool = True, timeout_s: float = 10.0
) -> Completion:
    provider = OpenAIProvider(
        base_url=url, model="fake", api_key=KEY, stream=stream, timeout_s=timeout_s
    )
    try:
        return await provider.complete(request)
    finally:
        await provider.aclose()


async def fail(
    url: str, request: ModelRequest, *, stream: bool = True, timeout_s: float = 10.0
) -> ProviderError:
    with pytest.raises(ProviderError) as caught:
        await complete(url, request, stream=stream, timeout_s=timeout_s)
    return caught.value


async def test_stream_times_content_chunks_only(server: ServerHandle) -> None:
    provider = OpenAIProvider(base_url=server.url, model="fake", api_key=KEY)
    completion = await provider.complete(ask("one two three [[chunk_delay:0.05]]"))
    await provider.aclose()

    assert completion.text == "echo: one two three"
    assert completion.finish_reason == "stop"
    assert completion.model == "fake"
    # The role-only chunk arrives at once; the first word one chunk_delay later.
    assert completion.ttft_s is not None and completion.ttft_s >= 0.04
    assert len(completion.chunk_times_s) == 4
    assert completion.chunk_times_s == sorted(completion.chunk_times_s)
    assert completion.chunk_times_s[0] == completion.ttft_s
    assert completion.latency_s is not None and completion.latency_s >= completion.chunk_times_s[-1]
    usage = completion.usage
    assert (usage.input_tokens, usage.output_tokens, usage.estimated) == (6, 4, False)


@pytest.mark.parametrize("stream", [True, False])
async def test_usage_details_and_max_tokens(server: ServerHandle, stream: bool) -> None:
    request = ask("a b c d [[cached:3]] [[reasoning:2]]", max_tokens=3, temperature=0)
    completion = await complete(server.url, request, stream=stream)

    assert completion.text == "echo: a b"
    assert completion.finish_reason == "length"
    usage = completion.usage
    assert (usage.cached_input_tokens, usage.reasoning_tokens, usage.output_tokens) == (3, 2, 3)


@pytest.mark.parametrize("stream", [True, False])
async def test_usage_is_estimated_when_the_server_sends_none(
    server: ServerHandle, stream: bool
) -> None:
    request = ask("[[nousage]] [[reply:twelve chars]]")
    completion = await complete(server.url, request, stream=stream)

    usage = completion.usage
    assert usage.estimated
    chars = len("Be brief.") + len("[[nousage]] [[reply:twelve chars]]")
    assert usage.input_tokens == -(-chars // 4)
    assert usage.output_tokens == 3


async def test_non_stream_has_latency_but_no_token_times(server: ServerHandle) -> None:
    completion = await complete(server.url, ask("hi"), stream=False)

    assert completion.text == "echo: hi"
    assert completion.latency_s is not None and completion.latency_s > 0
    assert (completion.ttft_s, completion.chunk_times_s) == (None, [])


@pytest.mark.parametrize("stream", [True, False])
@pytest.mark.parametrize(
    ("fault", "kind"),
    [
        ("500", ErrorKind.SERVER_ERROR),
        ("503", ErrorKind.SERVER_ERROR),
        ("408", ErrorKind.SERVER_ERROR),
        ("400", ErrorKind.CLIENT_ERROR),
        ("drop", ErrorKind.CONNECTION),
        ("malformed", ErrorKind.BAD_RESPONSE),
        ("truncate", ErrorKind.BAD_RESPONSE),
        ("stream_error", ErrorKind.SERVER_ERROR),
    ],
)
async def test_fault_maps_to_error_kind(
    server: ServerHandle, fault: str, kind: ErrorKind, stream: bool
) -> None:
    prompt = f"[[fail:{fault}]] stream={stream} one two three four five six"
    error = await fail(server.url, ask(prompt), stream=stream)
    assert error.kind is kind


async def test_rate_limit_carries_retry_after(server: ServerHandle) -> None:
    error = await fail(server.url, ask("[[fail:429]]"))

    assert (error.kind, error.status) == (ErrorKind.RATE_LIMITED, 429)
    assert error.retry_after == pytest.approx(0.2)


async def test_timeout(server: ServerHandle) -> None:
    started = time.perf_counter()
    error = await fail(server.url, ask("[[fail:timeout]]"), timeout_s=0.5)

    assert error.kind is ErrorKind.TIMEOUT
    assert time.perf_counter() - started < 5


async def test_a_stream_that_stalls_after_its_first_chunks_times_out(server: ServerHandle) -> None:
    """`timeout_s` bounds the whole answer, not only the wait for its first byte: a stream
    that starts and then sends a chunk every 2 s fails at the bound, not after a minute."""
    started = time.perf_counter()
    error = await fail(server.url, ask("[[chunk_delay:2]] one two three"), timeout_s=1.0)

    assert error.kind is ErrorKind.TIMEOUT
    assert "1 s" in str(error)
    assert time.perf_counter() - started < 6  # 5 chunks at 2 s each would take 10 s


async def test_fails_the_first_n_calls_then_answers(server: ServerHandle) -> None:
    prompt = "[[fail:500x2]] count me"
    for _ in range(2):
        assert (await fail(server.url, ask(prompt))).kind is ErrorKind.SERVER_ERROR
    completion = await complete(server.url, ask(prompt))

    assert completion.text == "echo: count me"
    assert server.stats()["prompts"][prompt] == 3


async def test_connection_refused() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    error = await fail(f"http://127.0.0.1:{port}/v1", ask("anyone?"))
    assert error.kind is ErrorKind.CONNECTION


async def test_key_never_appears_in_errors_or_identity(server: ServerHandle) -> None:
    # The fake server echoes the key it got into its 401 message, as careless proxies do.
    error = await fail(server.url, ask("[[fail:401]]"))
    provider = OpenAIProvider(base_url=server.url, model="fake", api_key=KEY)

    assert (error.kind, error.status) == (ErrorKind.CLIENT_ERROR, 401)
    assert "***" in str(error)  # the key was sent, and redacted
    for text in (str(error), repr(error), json.dumps(provider.cache_identity()), repr(provider)):
        assert KEY not in text
    assert provider.cache_identity() == {
        "provider": "openai",
        "base_url": server.url,
        "model": "fake",
    }


def candidate(**fields: object) -> OpenAICandidate:
    return OpenAICandidate.model_validate(
        {"id": "gpt", "provider": "openai", "model": "fake", **fields}
    )


def test_missing_key_variable_is_a_config_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FIELDEVAL_TEST_OPENAI_KEY", raising=False)
    with pytest.raises(ConfigError, match="FIELDEVAL_TEST_OPENAI_KEY") as caught:
        from_candidate(candidate(api_key_env="FIELDEVAL_TEST_OPENAI_KEY"), base_dir=Path())
    assert "export FIELDEVAL_TEST_OPENAI_KEY" in str(caught.value)


async def test_from_candidate(server: ServerHandle, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FIELDEVAL_TEST_OPENAI_KEY", KEY)
    keyed = from_candidate(
        candidate(base_url=server.url, api_key_env="FIELDEVAL_TEST_OPENAI_KEY", stream=False),
        base_dir=Path(),
    )
    keyless = from_candidate(candidate(base_url=server.url, api_key_env=None), base_dir=Path())
    try:
        assert "***" in str(await _error(keyed, ask("[[fail:401]]")))
        assert "***" not in str(await _error(keyless, ask("[[fail:401]] no key")))
        assert (await keyless.complete(ask("local"))).text == "echo: local"
    finally:
        await keyed.aclose()
        await keyless.aclose()


async def _error(provider: OpenAIProvider, request: ModelRequest) -> ProviderError:
    with pytest.raises(ProviderError) as caught:
        await provider.complete(request)
    return caught.value


async def test_random_faults_from_config() -> None:
    config = json.dumps({"rates": {"500": 1.0}, "seed": 1})
    with start_server("--config", config) as handle:
        error = await fail(handle.url, ask("anything"))
        assert error.kind is ErrorKind.SERVER_ERROR
        assert handle.stats()["faults"] == {"500": 1}
