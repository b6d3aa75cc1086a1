"""The Anthropic provider against the fake server, running as its own process.

The fake rejects what the real Messages API rejects: a system role among the messages, a
missing max_tokens or anthropic-version, and unknown fields such as `stop` or `seed`.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.doubles.fixtures import ServerHandle, start_server

from fieldeval.errors import ConfigError, ErrorKind, ProviderError
from fieldeval.providers.anthropic import AnthropicProvider, from_candidate
from fieldeval.records.completion import Completion
from fieldeval.records.request import Message, ModelRequest
from fieldeval.suite.candidates import AnthropicCandidate

KEY = "sk-ant-fieldeval-test-1a2b3c4d"


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
    provider = AnthropicProvider(
        base_url=url, model="claude-fake", api_key=KEY, stream=stream, timeout_s=timeout_s
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


async def test_stream_text_usage_and_timing(server: ServerHandle) -> None:
    # Parameters in OpenAI's names are translated, or dropped when Anthropic has none.
    request = ask("one two three [[chunk_delay:0.05]] [[cached:2]]", stop=["\n\n"], seed=7)
    completion = await complete(server.root_url, request)

    assert completion.text == "echo: one two three"
    assert (completion.finish_reason, completion.model) == ("end_turn", "claude-fake")
    assert completion.ttft_s is not None and completion.ttft_s >= 0.04
    assert len(completion.chunk_times_s) == 4
    assert completion.chunk_times_s == sorted(completion.chunk_times_s)
    usage = completion.usage
    # Input counts the cached tokens too, as OpenAI's prompt_tokens does.
    assert (usage.input_tokens, usage.cached_input_tokens, usage.output_tokens) == (7, 2, 4)
    assert not usage.estimated


async def test_non_stream_and_a_base_url_ending_in_v1(server: ServerHandle) -> None:
    completion = await complete(server.url, ask("a b c", max_tokens=2), stream=False)

    assert (completion.text, completion.finish_reason) == ("echo: a", "max_tokens")
    assert (completion.ttft_s, completion.chunk_times_s) == (None, [])
    assert completion.usage.output_tokens == 2


@pytest.mark.parametrize("stream", [True, False])
async def test_usage_is_estimated_when_the_server_sends_none(
    server: ServerHandle, stream: bool
) -> None:
    completion = await complete(
        server.url, ask("[[nousage]] [[reply:twelve chars]]"), stream=stream
    )

    assert completion.usage.estimated
    assert completion.usage.output_tokens == 3


@pytest.mark.parametrize("stream", [True, False])
@pytest.mark.parametrize(
    ("fault", "kind"),
    [
        ("500", ErrorKind.SERVER_ERROR),
        ("529", ErrorKind.SERVER_ERROR),
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


async def test_overloaded_event_mid_stream(server: ServerHandle) -> None:
    error = await fail(server.url, ask("[[fail:stream_error]] a b c"))
    assert "overloaded_error" in str(error)


async def test_rate_limit_carries_retry_after(server: ServerHandle) -> None:
    error = await fail(server.url, ask("[[fail:429]]"))

    assert (error.kind, error.status) == (ErrorKind.RATE_LIMITED, 429)
    assert error.retry_after == pytest.approx(0.2)


async def test_timeout(server: ServerHandle) -> None:
    started = time.perf_counter()
    error = await fail(server.url, ask("[[fail:timeout]]"), timeout_s=0.5)

    assert error.kind is ErrorKind.TIMEOUT
    assert time.perf_counter() - started < 5


async def test_key_never_appears_in_errors_or_identity(server: ServerHandle) -> None:
    error = await fail(server.url, ask("[[fail:401]]"))  # the fake echoes the key back
    provider = AnthropicProvider(base_url=server.url, model="claude-fake", api_key=KEY)

    assert (error.kind, error.status) == (ErrorKind.CLIENT_ERROR, 401)
    assert "***" in str(error)
    for text in (str(error), repr(error), str(provider.cache_identity()), repr(provider)):
        assert KEY not in text


def test_missing_key_variable_is_a_config_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FIELDEVAL_TEST_ANTHROPIC_KEY", raising=False)
    candidate = AnthropicCandidate.model_validate(
        {
            "id": "claude",
            "provider": "anthropic",
            "model": "claude-fake",
            "api_key_env": "FIELDEVAL_TEST_ANTHROPIC_KEY",
        }
    )
    with pytest.raises(ConfigError, match="FIELDEVAL_TEST_ANTHROPIC_KEY"):
        from_candidate(candidate, base_dir=Path())


async def test_from_candidate(server: ServerHandle, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FIELDEVAL_TEST_ANTHROPIC_KEY", KEY)
    candidate = AnthropicCandidate.model_validate(
        {
            "id": "claude",
            "provider": "anthropic",
            "model": "claude-fake",
            "base_url": server.root_url,
            "api_key_env": "FIELDEVAL_TEST_ANTHROPIC_KEY",
        }
    )
    provider = from_candidate(candidate, base_dir=Path())
    try:
        assert (await provider.complete(ask("hello"))).text == "echo: hello"
    finally:
        await provider.aclose()
    assert provider.cache_identity() == {
        "provider": "anthropic",
        "base_url": server.root_url,
        "model": "claude-fake",
    }
