"""A stand-in for a team's LLM app, run as a real HTTP server on loopback.

python tests/doubles/app_server.py  ->  prints `LISTENING http://127.0.0.1:PORT`

Routes:
    /answer        echoes what it got: {"result": {"answer": ...}, "received": ..., "headers": ...}
    /fail/{status} answers with that status and an error body (429 adds Retry-After: 2)
    /text          answers 200 with a body that is not JSON
    /slow          answers after 5 s
"""

from __future__ import annotations

import asyncio

from aiohttp import web

_ECHOED_HEADERS = ("Authorization", "X-Team")


async def answer(request: web.Request) -> web.Response:
    if request.method == "GET":
        received: object = dict(request.query)
    else:
        received = await request.json()
    question = received.get("question") if isinstance(received, dict) else None
    prompt = received.get("prompt") if isinstance(received, dict) else None
    text = f"answer to: {question or prompt}"
    headers = {name: request.headers.get(name) for name in _ECHOED_HEADERS}
    return web.json_response({"result": {"answer": text}, "received": received, "headers": headers})


async def fail(request: web.Request) -> web.Response:
    status = int(request.match_info["status"])
    extra = {"Retry-After": "2"} if status == 429 else {}
    body = {"error": {"message": f"failing with {status} as asked"}}
    return web.json_response(body, status=status, headers=extra)


async def text(request: web.Request) -> web.Response:
    return web.Response(text="this is <b>not</b> JSON")


async def slow(request: web.Request) -> web.Response:
    await asyncio.sleep(5)
    return web.json_response({"result": {"answer": "late"}})


async def main() -> None:
    app = web.Application()
    app.router.add_route("*", "/answer", answer)
    app.router.add_route("*", "/fail/{status}", fail)
    app.router.add_route("*", "/text", text)
    app.router.add_route("*", "/slow", slow)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    print("LISTENING", f"http://127.0.0.1:{port}", flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main())
