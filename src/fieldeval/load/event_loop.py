"""The event loop a load test's client runs on: asyncio's own, or uvloop's (an extra)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from fieldeval.errors import ConfigError

UVLOOP_HINT = "pip install 'fieldeval[uvloop]'"


def loop_factory(name: str) -> Callable[[], asyncio.AbstractEventLoop] | None:
    """What `asyncio.Runner` makes its loop with; None for asyncio's default loop."""
    if name == "asyncio":
        return None
    if name != "uvloop":
        raise ConfigError(f"unknown event loop {name!r}", hint="use asyncio or uvloop")
    try:
        import uvloop
    except ImportError:
        raise ConfigError(
            "event_loop: uvloop needs uvloop, which is not installed", hint=UVLOOP_HINT
        ) from None
    return uvloop.new_event_loop
