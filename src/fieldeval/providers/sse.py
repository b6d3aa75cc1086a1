"""Server-sent events, read from a streaming HTTP response.

Follows the parsing rules of the HTML standard's `text/event-stream`: lines end in `\\r\\n`,
`\\n` or `\\r`; `:` starts a comment; `data` lines accumulate; a blank line dispatches.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import NamedTuple

import aiohttp

DONE = "[DONE]"


class SSEEvent(NamedTuple):
    """One dispatched event. `event` is "message" unless the server named it."""

    event: str
    data: str

    @property
    def done(self) -> bool:
        """True for the `[DONE]` sentinel that OpenAI-style servers send last."""
        return self.data == DONE


class SSEDecoder:
    """Turns bytes, fed in arbitrary pieces, into events."""

    def __init__(self) -> None:
        self._buffer = b""
        self._event = ""
        self._data: list[str] = []
        self._started = False

    def feed(self, chunk: bytes) -> list[SSEEvent]:
        """The events completed by this chunk."""
        buffer = self._buffer + chunk if self._buffer else chunk
        events: list[SSEEvent] = []
        if b"\r" in buffer:
            self._buffer = buffer
            while (line := self._next_line()) is not None:
                if (event := self._line(line)) is not None:
                    events.append(event)
            return events
        # Lines that end in \n alone, as every model API sends them: one split per chunk
        # instead of a search and a copy of the rest per line. A load test reads tens of
        # thousands of events a second through here.
        *lines, self._buffer = buffer.split(b"\n")
        for line in lines:
            if not line:  # the blank line that ends an event
                if (event := self._dispatch()) is not None:
                    events.append(event)
            elif (event := self._line(line)) is not None:
                events.append(event)
        return events

    def close(self) -> list[SSEEvent]:
        """The event left pending at end of stream.

        The standard drops an event without its closing blank line; some servers omit
        that line after their last event, so a pending event is dispatched instead.
        """
        last_line, self._buffer = self._buffer.removesuffix(b"\r"), b""
        events = [self._line(last_line)] if last_line else []
        return [event for event in [*events, self._line(b"")] if event is not None]

    def _next_line(self) -> bytes | None:
        buffer = self._buffer
        cr, lf = buffer.find(b"\r"), buffer.find(b"\n")
        if lf != -1 and (cr == -1 or lf < cr):
            end, skip = lf, 1
        elif cr != -1:
            if cr + 1 == len(buffer):
                return None  # a \r\n may be split across chunks
            end, skip = cr, 2 if buffer[cr + 1 : cr + 2] == b"\n" else 1
        else:
            return None
        self._buffer = buffer[end + skip :]
        return buffer[:end]

    def _line(self, raw: bytes) -> SSEEvent | None:
        if raw.startswith(b"data: ") and self._started:
            self._data.append(raw[6:].decode("utf-8", errors="replace"))
            return None
        # Line breaks never occur inside a UTF-8 sequence, so lines decode on their own.
        line = raw.decode("utf-8", errors="replace")
        if not self._started:
            self._started = True
            line = line.removeprefix("\ufeff")
        if not line:
            return self._dispatch()
        if line.startswith(":"):
            return None
        name, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if name == "data":
            self._data.append(value)
        elif name == "event":
            self._event = value
        # `id` and `retry` only matter for reconnecting, which a model call never does.
        return None

    def _dispatch(self) -> SSEEvent | None:
        if not self._data:
            self._event = ""
            return None
        data = self._data[0] if len(self._data) == 1 else "\n".join(self._data)
        event = SSEEvent(self._event or "message", data)
        self._event, self._data = "", []
        return event


async def events(response: aiohttp.ClientResponse) -> AsyncIterator[SSEEvent]:
    """The events of a streaming response, ending after `[DONE]` if the server sends it."""
    decoder = SSEDecoder()
    async for chunk in response.content.iter_any():
        for event in decoder.feed(chunk):
            yield event
            if event.done:
                return
    for event in decoder.close():
        yield event
        if event.done:
            return
