"""A streaming OpenAI-compatible stub on raw asyncio, cheap enough never to be the bottleneck.

    python benchmarks/stream_stub.py [--port 0] [--delay-s 0.01] [--chunk-delay-s 0.01]

`POST /v1/chat/completions` with `"stream": true` answers as `tests/doubles/openai_server.py`
does: a role-only chunk after `delay_s`, then one chunk per word of "echo: <prompt>" (cut
at `max_tokens`), a finish chunk, the usage chunk when `stream_options.include_usage` asks
for it, and `[DONE]`, each `chunk_delay_s` after the one before. It is an
`asyncio.Protocol` that parses just enough HTTP/1.1 (keep-alive, Content-Length bodies,
chunked replies) and sends each event from a timer, with no framework in between, so that
at 400 users it spends a fraction of the CPU the aiohttp double does and the client under
test is what runs out first. Prints `LISTENING <base url>` (no /v1) once it listens.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from typing import Any

_HEAD = (
    b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
    b"Transfer-Encoding: chunked\r\nConnection: keep-alive\r\n\r\n"
)
_BAD = b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
_END = b"0\r\n\r\n"


def _chunked(payload: Any) -> bytes:
    data = f"data: {payload if isinstance(payload, str) else json.dumps(payload)}\n\n".encode()
    return b"%x\r\n%b\r\n" % (len(data), data)


def stream_events(body: dict[str, Any]) -> list[bytes]:
    """The reply to one request body, each event already framed as an HTTP chunk."""
    messages = body.get("messages") or [{}]
    prompt = str(messages[-1].get("content", ""))
    words = ["echo:", *prompt.split()]
    limit = body.get("max_tokens")
    cut = isinstance(limit, int) and len(words) > limit
    words = words[:limit] if cut else words
    model = body.get("model", "stub")

    def chunk(delta: dict[str, Any], finish: str | None = None) -> bytes:
        return _chunked(
            {
                "id": "chatcmpl-stub",
                "object": "chat.completion.chunk",
                "created": 0,
                "model": model,
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
            }
        )

    events = [chunk({"role": "assistant", "content": ""})]
    events += [chunk({"content": w if i == 0 else " " + w}) for i, w in enumerate(words)]
    events.append(chunk({}, "length" if cut else "stop"))
    if (body.get("stream_options") or {}).get("include_usage"):
        usage = {
            "prompt_tokens": len(prompt.split()),
            "completion_tokens": len(words),
            "total_tokens": len(prompt.split()) + len(words),
        }
        events.append(_chunked({"id": "chatcmpl-stub", "choices": [], "usage": usage}))
    return [*events, _chunked("[DONE]")]


class StubProtocol(asyncio.Protocol):
    """One keep-alive connection: a request is read whole, then its events go out on timers."""

    def __init__(self, delay_s: float, chunk_delay_s: float) -> None:
        self.delay_s = delay_s
        self.chunk_delay_s = chunk_delay_s
        self.buffer = b""
        self.transport: asyncio.Transport | None = None
        self.timer: asyncio.TimerHandle | None = None
        self.loop = asyncio.get_running_loop()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def connection_lost(self, exc: Exception | None) -> None:
        if self.timer is not None:
            self.timer.cancel()
        self.transport = None

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        if self.timer is None:  # one request at a time: the client waits for each reply
            self._next_request()

    def _next_request(self) -> None:
        end = self.buffer.find(b"\r\n\r\n")
        if end < 0 or self.transport is None:
            return
        head = self.buffer[:end].decode("latin-1").split("\r\n")
        length = 0
        for line in head[1:]:
            name, _, value = line.partition(":")
            if name.strip().lower() == "content-length":
                length = int(value.strip())
        if len(self.buffer) < end + 4 + length:
            return  # the body is still on its way
        raw, self.buffer = self.buffer[end + 4 : end + 4 + length], self.buffer[end + 4 + length :]
        try:
            body = json.loads(raw)
            if not head[0].startswith("POST ") or not body.get("stream"):
                raise ValueError("the stub answers streaming chat completions only")
        except ValueError:
            self.transport.write(_BAD)
            self.transport.close()
            return
        self.transport.write(_HEAD)
        self.timer = self.loop.call_later(self.delay_s, self._send, stream_events(body), 0)

    def _send(self, events: list[bytes], index: int) -> None:
        if self.transport is None:
            return
        self.transport.write(events[index])
        if index + 1 < len(events):
            self.timer = self.loop.call_later(self.chunk_delay_s, self._send, events, index + 1)
            return
        self.transport.write(_END)
        self.timer = None
        self._next_request()


async def serve(port: int, delay_s: float, chunk_delay_s: float, exit_on_eof: bool) -> None:
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: StubProtocol(delay_s, chunk_delay_s), "127.0.0.1", port, backlog=1024
    )
    bound = server.sockets[0].getsockname()[1]
    print(f"LISTENING http://127.0.0.1:{bound}", flush=True)
    async with server:
        if exit_on_eof:  # the parent closes our stdin to stop us
            await loop.run_in_executor(None, sys.stdin.read)
        else:
            await server.serve_forever()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--delay-s", type=float, default=0.01)
    parser.add_argument("--chunk-delay-s", type=float, default=0.01)
    parser.add_argument("--exit-on-eof", action="store_true")
    args = parser.parse_args()
    asyncio.run(serve(args.port, args.delay_s, args.chunk_delay_s, args.exit_on_eof))


if __name__ == "__main__":
    main()
