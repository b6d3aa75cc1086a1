"""The baseline: a bare asyncio + aiohttp loop, with nothing fieldeval does on top.

    python benchmarks/bare_client.py URL DATA.csv [--concurrency 50] [--stream]

reads the CSV's `question` column, POSTs each row to `URL/v1/chat/completions` through one
`ClientSession` with `concurrency` workers, parses the JSON (or the SSE stream), checks that
the answer contains "echo", stores nothing, and prints `ELAPSED <seconds> PASSED <n>/<total>`.
The elapsed time starts before the CSV is read and ends when the last answer is checked.

`run_speed.py` imports `run_bare` for the in-process baseline and runs this file as a script
for the subprocess baseline (python start-up + aiohttp import + the calls).
"""

from __future__ import annotations

import asyncio
import csv
import json
import sys
import time

import aiohttp


async def _one(
    session: aiohttp.ClientSession, url: str, model: str, prompt: str, stream: bool
) -> str:
    body = {"model": model, "messages": [{"role": "user", "content": prompt}], "stream": stream}
    async with session.post(url, json=body) as response:
        response.raise_for_status()
        if not stream:
            data = json.loads(await response.text())
            return data["choices"][0]["message"]["content"] or ""
        parts = []
        async for line in response.content:
            if not line.startswith(b"data: "):
                continue
            payload = line[6:].strip()
            if payload == b"[DONE]":
                break
            chunk = json.loads(payload)
            choices = chunk.get("choices")
            if choices:
                content = choices[0].get("delta", {}).get("content")
                if content:
                    parts.append(content)
        return "".join(parts)


async def run_bare_async(
    base_url: str,
    data_path: str,
    *,
    concurrency: int = 50,
    stream: bool = False,
    model: str = "fast",
) -> tuple[float, int, int]:
    """(elapsed seconds, passed, total) for one pass over the data."""
    started = time.perf_counter()
    with open(data_path, newline="", encoding="utf-8") as handle:
        prompts = [row["question"] for row in csv.DictReader(handle)]
    url = base_url.rstrip("/") + "/v1/chat/completions"
    todo = iter(prompts)
    passed = 0

    async def worker(session: aiohttp.ClientSession) -> None:
        nonlocal passed
        for prompt in todo:  # the workers share one iterator
            text = await _one(session, url, model, prompt, stream)
            passed += "echo" in text

    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:
        await asyncio.gather(*(worker(session) for _ in range(concurrency)))
    return time.perf_counter() - started, passed, len(prompts)


def run_bare(
    base_url: str, data_path: str, *, concurrency: int = 50, stream: bool = False
) -> tuple[float, int, int]:
    return asyncio.run(run_bare_async(base_url, data_path, concurrency=concurrency, stream=stream))


if __name__ == "__main__":
    args = sys.argv[1:]
    stream = "--stream" in args
    concurrency = 50
    if "--concurrency" in args:
        concurrency = int(args[args.index("--concurrency") + 1])
    positional = [
        a
        for i, a in enumerate(args)
        if not a.startswith("--") and (i == 0 or args[i - 1] != "--concurrency")
    ]
    elapsed, passed, total = run_bare(
        positional[0], positional[1], concurrency=concurrency, stream=stream
    )
    print(f"ELAPSED {elapsed:.4f} PASSED {passed}/{total}")
