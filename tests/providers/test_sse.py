"""The server-sent-events parser: fed bytes directly, then over a real streaming response."""

from __future__ import annotations

from collections.abc import Iterator

import aiohttp
import pytest
from tests.doubles.fixtures import ServerHandle, start_server

from fieldeval.providers.sse import SSEDecoder, SSEEvent, events


@pytest.fixture(scope="module")
def server() -> Iterator[ServerHandle]:
    with start_server() as handle:
        yield handle


def decode(*chunks: bytes) -> list[SSEEvent]:
    decoder = SSEDecoder()
    found = [event for chunk in chunks for event in decoder.feed(chunk)]
    return found + decoder.close()


@pytest.mark.parametrize("newline", [b"\n", b"\r\n", b"\r"])
def test_every_line_ending(newline: bytes) -> None:
    stream = b"data: a" + newline + newline + b"data: b" + newline + newline
    assert [e.data for e in decode(stream)] == ["a", "b"]


def test_crlf_split_between_chunks() -> None:
    assert [e.data for e in decode(b"data: a\r", b"\n\r", b"\ndata: b\r\n\r\n")] == ["a", "b"]


def test_one_byte_at_a_time() -> None:
    stream = "event: note\ndata: héllo\n\n".encode()
    chunks = [stream[i : i + 1] for i in range(len(stream))]
    assert decode(*chunks) == [SSEEvent(event="note", data="héllo")]


@pytest.mark.parametrize("newline", [b"\n", b"\r\n", b"\r"])
def test_any_split_of_a_stream_gives_the_events_of_the_whole(newline: bytes) -> None:
    """Bytes arrive cut anywhere (mid-line, mid-character, between \r and \n): the events
    are those of the stream read in one piece, whatever the cuts."""
    import random

    lines = [
        "\ufeffdata: {\"a\": 1}", "", ": comment", "event: note", "data: héllo",
        "data:wörld", "", "data: [DONE]", "",
    ]  # fmt: skip
    stream = newline.join(line.encode() for line in lines)
    whole = decode(stream)
    assert whole == [
        SSEEvent("message", '{"a": 1}'),
        SSEEvent("note", "héllo\nwörld"),
        SSEEvent("message", "[DONE]"),
    ]
    rng = random.Random(7)
    for _ in range(300):
        cuts = sorted(rng.sample(range(1, len(stream)), rng.randint(1, 12)))
        pieces = [stream[a:b] for a, b in zip([0, *cuts], [*cuts, len(stream)], strict=True)]
        assert decode(*pieces) == whole, pieces


def test_multi_line_data_comments_and_other_fields() -> None:
    stream = b": keep-alive\n\nid: 7\nretry: 10\ndata: one\ndata:two\n: note\ndata\n\n"
    assert decode(stream) == [SSEEvent(event="message", data="one\ntwo\n")]


def test_event_name_resets_after_dispatch() -> None:
    stream = b"event: ping\ndata: {}\n\ndata: x\n\n"
    assert [e.event for e in decode(stream)] == ["ping", "message"]


def test_blank_lines_without_data_dispatch_nothing() -> None:
    assert decode(b"\n\nevent: lonely\n\n\n") == []


def test_byte_order_mark_is_ignored() -> None:
    assert decode(b"\xef\xbb\xbfdata: x\n\n") == [SSEEvent("message", "x")]


def test_pending_event_is_dispatched_at_end_of_stream() -> None:
    assert [e.data for e in decode(b"data: last\r")] == ["last"]


def test_done_sentinel() -> None:
    (event,) = decode(b"data: [DONE]\n\n")
    assert event.done
    assert not SSEEvent("message", "[DONE] ").done


async def test_events_over_a_real_stream(server: ServerHandle) -> None:
    body = {"model": "m", "stream": True, "messages": [{"role": "user", "content": "a b"}]}
    async with (
        aiohttp.ClientSession() as session,
        session.post(f"{server.url}/chat/completions", json=body) as response,
    ):
        received = [event async for event in events(response)]

    assert received[-1].done
    assert len(received) == 6  # role, "echo:", " a", " b", finish, [DONE]


async def test_named_events_over_a_real_stream(server: ServerHandle) -> None:
    body = {
        "model": "m",
        "stream": True,
        "max_tokens": 1,
        "messages": [{"role": "user", "content": "x"}],
    }
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            f"{server.url}/messages", json=body, headers={"anthropic-version": "2023-06-01"}
        ) as response,
    ):
        names = [event.event async for event in events(response)]

    assert names[0] == "message_start"
    assert names[-1] == "message_stop"
