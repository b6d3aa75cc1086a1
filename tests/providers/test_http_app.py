"""The HTTP app provider against a real app server on loopback."""

from __future__ import annotations

import math
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from fieldeval.errors import ConfigError, ErrorKind, ProviderError
from fieldeval.providers.http_app import HttpAppProvider, from_candidate
from fieldeval.records.request import Message, ModelRequest
from fieldeval.suite.candidates import HttpCandidate

APP = Path(__file__).parent.parent / "doubles" / "app_server.py"
REQUEST = ModelRequest(
    messages=(Message("system", "Be brief."), Message("user", "What is 2+2?")),
    variables={"id": "ex-1", "question": "What is 2+2?", "lang": "en"},
)


@pytest.fixture(scope="module")
def app_url() -> Iterator[str]:
    process = subprocess.Popen(
        [sys.executable, str(APP)], stdout=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    assert line.startswith("LISTENING "), line
    yield line.split()[1]
    process.terminate()
    process.wait(10)


@pytest.fixture
async def make(app_url: str) -> AsyncIterator[Any]:
    providers: list[HttpAppProvider] = []

    def factory(path: str = "/answer", **options: Any) -> HttpAppProvider:
        provider = HttpAppProvider(url=app_url + path, **options)
        providers.append(provider)
        return provider

    yield factory
    for provider in providers:
        await provider.aclose()


async def test_default_body_sends_the_prompt_and_root_path_needs_a_string(make: Any) -> None:
    provider = make(response_path="$.result.answer")
    completion = await provider.complete(REQUEST)
    assert completion.text == "answer to: Be brief.\n\nWhat is 2+2?"
    assert completion.usage.estimated
    assert completion.usage.output_tokens == math.ceil(len(completion.text) / 4)
    assert completion.latency_s is not None and completion.latency_s > 0
    assert completion.ttft_s is None

    with pytest.raises(ProviderError) as caught:
        await make().complete(REQUEST)  # `$` is the whole object, not a string
    assert caught.value.kind is ErrorKind.BAD_RESPONSE
    assert "'$'" in caught.value.message and "found a dict" in caught.value.message


async def test_body_templates_render_over_variables_and_keep_whole_values(make: Any) -> None:
    body = {
        "question": "{{ question }} ({{ lang | upper }})",
        "meta": {"example": "{{ id }}", "n": 3, "tags": ["fixed", "{{ lang }}"]},
        "messages": "{{ messages }}",
    }
    provider = make(body=body, response_path="$.received")
    with pytest.raises(ProviderError):
        await provider.complete(REQUEST)  # `received` is an object: proves the path is strict

    provider = make(body=body, response_path="$.result.answer")
    assert (await provider.complete(REQUEST)).text == "answer to: What is 2+2? (EN)"
    echoed = make(body=body, response_path="$.received.meta.tags[1]")
    assert (await echoed.complete(REQUEST)).text == "en"
    role = make(body=body, response_path="$.received.messages[0].role")
    assert (await role.complete(REQUEST)).text == "system"


async def test_get_sends_the_body_as_query(make: Any) -> None:
    provider = make(
        method="GET", body={"question": "{{ question }}"}, response_path="$.result.answer"
    )
    assert (await provider.complete(REQUEST)).text == "answer to: What is 2+2?"


async def test_header_env_vars_reach_the_app_but_not_the_identity(
    make: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TEAM_TOKEN", "s3cret-value")
    provider = make(
        headers={"Authorization": "Bearer ${TEAM_TOKEN}", "X-Team": "evals"},
        response_path="$.headers.Authorization",
    )
    assert (await provider.complete(REQUEST)).text == "Bearer s3cret-value"
    assert "s3cret-value" not in repr(provider.cache_identity())

    monkeypatch.delenv("TEAM_TOKEN")
    with pytest.raises(ConfigError, match="TEAM_TOKEN"):
        make(headers={"Authorization": "Bearer ${TEAM_TOKEN}"})


async def test_secrets_echoed_in_an_error_are_redacted(
    make: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TEAM_TOKEN", "s3cret-value")
    provider = make(headers={"Authorization": "${TEAM_TOKEN}"}, response_path="$.nothing")
    with pytest.raises(ProviderError) as caught:
        await provider.complete(REQUEST)
    assert caught.value.kind is ErrorKind.BAD_RESPONSE
    assert "s3cret-value" not in str(caught.value) and "***" in str(caught.value)


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        (503, ErrorKind.SERVER_ERROR),
        (500, ErrorKind.SERVER_ERROR),
        (429, ErrorKind.RATE_LIMITED),
        (404, ErrorKind.CLIENT_ERROR),
    ],
)
async def test_error_statuses_map_to_kinds(make: Any, status: int, kind: ErrorKind) -> None:
    with pytest.raises(ProviderError) as caught:
        await make(f"/fail/{status}").complete(REQUEST)
    assert caught.value.kind is kind
    assert caught.value.status == status
    assert f"failing with {status}" in caught.value.message
    assert caught.value.retry_after == (2.0 if status == 429 else None)


async def test_non_json_timeout_and_refused_connection(make: Any) -> None:
    with pytest.raises(ProviderError) as caught:
        await make("/text").complete(REQUEST)
    assert caught.value.kind is ErrorKind.BAD_RESPONSE and "not JSON" in caught.value.message

    with pytest.raises(ProviderError) as caught:
        await make("/slow", timeout_s=0.3).complete(REQUEST)
    assert caught.value.kind is ErrorKind.TIMEOUT

    closed = HttpAppProvider(url="http://127.0.0.1:9/answer")  # discard port: nothing listens
    with pytest.raises(ProviderError) as caught:
        await closed.complete(REQUEST)
    await closed.aclose()
    assert caught.value.kind is ErrorKind.CONNECTION


def test_from_candidate_and_identity(tmp_path: Path) -> None:
    candidate = HttpCandidate(
        id="app",
        provider="http",
        url="http://127.0.0.1:1/answer",
        headers={"X-Key": "${HOME}"},
        body={"q": "{{ prompt }}"},
        response_path="$.a",
    )
    identity = from_candidate(candidate, base_dir=tmp_path).cache_identity()
    assert identity == {
        "provider": "http",
        "url": "http://127.0.0.1:1/answer",
        "method": "POST",
        "body": {"q": "{{ prompt }}"},
        "response_path": "$.a",
    }
    with pytest.raises(ConfigError, match="JSONPath"):
        HttpAppProvider(url="http://x", response_path="$.[")
