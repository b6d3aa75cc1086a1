"""Serving the app with uvicorn on a socket bound up front, so port 0 has a real URL."""

from __future__ import annotations

import contextlib
import os
import socket
import sys
import webbrowser
from urllib.parse import urlencode

from starlette.types import ASGIApp

from fieldeval.errors import UserError

_WILDCARDS = ("0.0.0.0", "::", "")


def listen(host: str, port: int) -> socket.socket:
    """A socket listening on host:port (port 0: any free port).

    Listening before uvicorn starts means a browser opened right away waits in the backlog
    instead of being refused.
    """
    try:
        family, kind, protocol, _, address = socket.getaddrinfo(
            host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
    except socket.gaierror as error:
        raise UserError(f"cannot listen on {host!r}: {error.strerror}") from error
    sock = socket.socket(family, kind, protocol)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(address)
        sock.listen(128)
    except OSError as error:
        sock.close()
        raise UserError(
            f"cannot listen on {host}:{port}: {error.strerror}",
            hint="another program may have the port; --port 0 picks a free one",
        ) from error
    return sock


def url_for(sock: socket.socket, host: str, path: str, query: dict[str, str]) -> str:
    """The address a browser on this machine opens to reach the socket."""
    port = sock.getsockname()[1]
    shown = "127.0.0.1" if host in _WILDCARDS else host
    if ":" in shown:
        shown = f"[{shown}]"  # an IPv6 literal
    suffix = f"?{urlencode(query)}" if query else ""
    return f"http://{shown}:{port}{path}{suffix}"


def serve(app: ASGIApp, sock: socket.socket) -> None:
    """Serve until Ctrl-C (or SIGTERM); uvicorn finishes the requests in flight first."""
    import uvicorn

    config = uvicorn.Config(
        app,
        log_level="warning",
        access_log=False,  # request lines would show tokens in URLs and grader names
        lifespan="off",
        server_header=False,
    )
    # uvicorn shuts down cleanly, then re-raises the Ctrl-C it caught: here that is the way
    # to stop, not an interruption of work (every grade is already saved).
    with contextlib.suppress(KeyboardInterrupt):
        uvicorn.Server(config).run(sockets=[sock])


def open_browser(url: str) -> bool:
    """Open `url` in a graphical browser; False where there is none to open."""
    graphical = sys.platform in ("darwin", "win32") or bool(
        os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
    )
    # Without a display, webbrowser falls back to a text browser that would take the terminal.
    if not graphical:
        return False
    try:
        return webbrowser.open(url)
    except webbrowser.Error:
        return False
