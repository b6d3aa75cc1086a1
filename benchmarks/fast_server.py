"""A minimal, fast OpenAI-compatible server, so that benchmarks measure the client.

    python benchmarks/fast_server.py [--host 127.0.0.1] [--port 0]

prints `LISTENING http://HOST:PORT` once it accepts connections, and serves
`POST /v1/chat/completions` until killed or until its stdin closes. The reply is
"echo: " plus the first words of the last user message, with token usage; with
`"stream": true` it is sent as server-sent events, one chunk per word, then a usage chunk
(when `stream_options.include_usage` is set) and `data: [DONE]`.

It does as little as it can per call (one json.loads, one json.dumps, no logging, no
middleware) so that the time a benchmark measures is spent in the client under test.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import sys
import time

from aiohttp import web

MAX_WORDS = 8
_dumps = json.JSONEncoder(separators=(",", ":")).encode


def _reply_text(body: dict) -> str:
    messages = body.get("messages") or []
    content = ""
    for message in reversed(messages):
        if message.get("role") == "user":
            content = message.get("content") or ""
            break
    if isinstance(content, list):  # content parts
        content = " ".join(p.get("text", "") for p in content if isinstance(p, dict))
    words = str(content).split()[:MAX_WORDS]
    return "echo: " + " ".join(words)


def _usage(body: dict, text: str) -> dict:
    prompt_chars = sum(len(str(m.get("content") or "")) for m in body.get("messages") or [])
    prompt_tokens = max(1, prompt_chars // 4)
    completion_tokens = max(1, len(text.split()))
    return {
        "prompt_tokens": prompt_tokens,
        "completion_tokens": completion_tokens,
        "total_tokens": prompt_tokens + completion_tokens,
    }


async def chat_completions(request: web.Request) -> web.StreamResponse:
    body = json.loads(await request.read())
    text = _reply_text(body)
    model = body.get("model") or "fast"
    created = int(time.time())
    if not body.get("stream"):
        payload = {
            "id": "chatcmpl-fast",
            "object": "chat.completion",
            "created": created,
            "model": model,
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": text},
                    "finish_reason": "stop",
                }
            ],
            "usage": _usage(body, text),
        }
        return web.Response(body=_dumps(payload).encode(), content_type="application/json")

    response = web.StreamResponse(
        headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"}
    )
    await response.prepare(request)
    head = {
        "id": "chatcmpl-fast",
        "object": "chat.completion.chunk",
        "created": created,
        "model": model,
    }
    words = text.split(" ")
    parts = []
    for i, word in enumerate(words):
        piece = word if i == 0 else " " + word
        delta = {"role": "assistant", "content": piece} if i == 0 else {"content": piece}
        chunk = {**head, "choices": [{"index": 0, "delta": delta, "finish_reason": None}]}
        parts.append(f"data: {_dumps(chunk)}\n\n")
    last = {**head, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}
    parts.append(f"data: {_dumps(last)}\n\n")
    if (body.get("stream_options") or {}).get("include_usage"):
        parts.append(f"data: {_dumps({**head, 'choices': [], 'usage': _usage(body, text)})}\n\n")
    parts.append("data: [DONE]\n\n")
    # One write: the chunks arrive as separate events but cost a single syscall here.
    await response.write("".join(parts).encode())
    await response.write_eof()
    return response


def make_app() -> web.Application:
    app = web.Application()
    app.router.add_post("/v1/chat/completions", chat_completions)
    return app


async def _serve(host: str, port: int, exit_on_eof: bool) -> None:
    runner = web.AppRunner(make_app(), access_log=None, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, host, port, backlog=1024)
    await site.start()
    bound = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    print(f"LISTENING http://{host}:{bound}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    if exit_on_eof:
        loop.add_reader(sys.stdin.fileno(), lambda: sys.stdin.read(1) or stop.set())
    try:
        await stop.wait()
    finally:
        await runner.cleanup()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument(
        "--exit-on-eof",
        action="store_true",
        help="stop when stdin closes (so a parent that dies takes us with it)",
    )
    args = parser.parse_args()
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(args.host, args.port, args.exit_on_eof))


if __name__ == "__main__":
    main()
