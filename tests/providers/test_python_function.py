"""The Python function provider, loading a real module from the suite's folder."""

from __future__ import annotations

import asyncio
import textwrap
from pathlib import Path

import pytest

from fieldeval.errors import ConfigError, ErrorKind, ProviderError
from fieldeval.providers.python_function import PythonFunctionProvider, from_candidate
from fieldeval.records.request import Message, ModelRequest
from fieldeval.suite.candidates import PythonCandidate

BOT = textwrap.dedent(
    """
    import asyncio
    from fieldeval.errors import ErrorKind, ProviderError
    from fieldeval.records.completion import Completion, Usage

    def shout(request):
        return request.prompt_text.upper()

    async def whisper(request):
        await asyncio.sleep(0)
        return request.prompt_text.lower()

    def full(request):
        return Completion(text="done", usage=Usage(3, 1), finish_reason="stop")

    def as_dict(request):
        return {"text": "from dict", "usage": {"input_tokens": 7, "output_tokens": 2}}

    def bare_dict(request):
        return {"text": "no usage"}

    def number(request):
        return 42

    def broken(request):
        raise KeyError("missing thing")

    async def throttled(request):
        raise ProviderError("slow down", ErrorKind.RATE_LIMITED)

    class Bot:
        @staticmethod
        def reply(request):
            return request.variables["name"]
    """
)
REQUEST = ModelRequest(messages=(Message("user", "Hello There"),), variables={"name": "Ada"})


@pytest.fixture(scope="module")
def suite_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("suite")
    (folder / "fieldeval_test_bot.py").write_text(BOT, encoding="utf-8")
    return folder


def provider(suite_dir: Path, name: str) -> PythonFunctionProvider:
    candidate = PythonCandidate(id="bot", provider="python", function=f"fieldeval_test_bot:{name}")
    return from_candidate(candidate, base_dir=suite_dir)


async def test_sync_and_async_functions(suite_dir: Path) -> None:
    shout = await provider(suite_dir, "shout").complete(REQUEST)
    assert shout.text == "HELLO THERE"
    assert shout.usage.estimated and shout.usage.input_tokens == 3
    assert shout.latency_s is not None and shout.latency_s >= 0
    whispers = await asyncio.gather(
        *(provider(suite_dir, "whisper").complete(REQUEST) for _ in range(3))
    )
    assert [c.text for c in whispers] == ["hello there"] * 3
    assert (await provider(suite_dir, "Bot.reply").complete(REQUEST)).text == "Ada"


async def test_completion_and_dict_results(suite_dir: Path) -> None:
    full = await provider(suite_dir, "full").complete(REQUEST)
    assert (full.text, full.finish_reason, full.usage.input_tokens) == ("done", "stop", 3)
    assert not full.usage.estimated and full.latency_s is not None

    from_dict = await provider(suite_dir, "as_dict").complete(REQUEST)
    assert from_dict.text == "from dict"
    assert (from_dict.usage.input_tokens, from_dict.usage.output_tokens) == (7, 2)
    assert not from_dict.usage.estimated

    bare = await provider(suite_dir, "bare_dict").complete(REQUEST)
    assert bare.text == "no usage" and bare.usage.estimated


async def test_bad_return_value_is_a_bad_response(suite_dir: Path) -> None:
    with pytest.raises(ProviderError) as caught:
        await provider(suite_dir, "number").complete(REQUEST)
    assert caught.value.kind is ErrorKind.BAD_RESPONSE and "42" in caught.value.message


async def test_raising_is_an_app_error_unless_it_is_a_provider_error(suite_dir: Path) -> None:
    with pytest.raises(ProviderError) as caught:
        await provider(suite_dir, "broken").complete(REQUEST)
    assert caught.value.kind is ErrorKind.APP_ERROR and not caught.value.retryable
    assert "KeyError" in caught.value.message and "missing thing" in caught.value.message

    with pytest.raises(ProviderError) as caught:
        await provider(suite_dir, "throttled").complete(REQUEST)
    assert caught.value.kind is ErrorKind.RATE_LIMITED


def test_bad_names_are_config_errors(suite_dir: Path) -> None:
    with pytest.raises(ConfigError, match="cannot import 'no_such_module_xyz'") as caught:
        from_candidate(
            PythonCandidate(id="x", provider="python", function="no_such_module_xyz:f"),
            base_dir=suite_dir,
        )
    assert caught.value.hint is not None and str(suite_dir) in caught.value.hint
    with pytest.raises(ConfigError, match="has no 'nope'"):
        provider(suite_dir, "nope")
    with pytest.raises(ConfigError, match="not a function"):
        provider(suite_dir, "asyncio")


def test_identity_names_the_function(suite_dir: Path) -> None:
    identity = provider(suite_dir, "shout").cache_identity()
    assert identity == {"provider": "python", "function": "fieldeval_test_bot:shout"}


async def test_a_function_slower_than_timeout_s_is_a_timeout() -> None:
    def slow(request: ModelRequest) -> str:
        import time

        time.sleep(1.0)
        return "too late"

    async def slower(request: ModelRequest) -> str:
        await asyncio.sleep(5)
        return "too late"

    for function in (slow, slower):
        provider = PythonFunctionProvider(function, name="bot:slow", timeout_s=0.2)
        request = ModelRequest(messages=(Message("user", "hi"),))
        started = asyncio.get_running_loop().time()
        with pytest.raises(ProviderError) as raised:
            await provider.complete(request)
        assert raised.value.kind is ErrorKind.TIMEOUT
        assert "0.2 s" in str(raised.value)
        assert asyncio.get_running_loop().time() - started < 0.9
