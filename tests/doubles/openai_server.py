"""A fake OpenAI- and Anthropic-style model server that fails on request, for tests.

    python tests/doubles/openai_server.py [--port 0] [--config JSON] [--exit-on-eof]

prints `LISTENING http://127.0.0.1:PORT` once it accepts connections. It answers
`POST /v1/chat/completions`, `POST /v1/messages`, `GET /stats` and `POST /reset`. `/stats`
counts the calls, prompts and faults, and keeps each call's timeline on the wall clock:
[when its body was read, when its first content chunk was written (streams only)].

The reply is "echo: " plus the last user message (directives removed), cut to `max_tokens`
words and streamed a word per chunk. Directives anywhere in the last user message:

    [[fail:KIND]]        every call with this prompt fails; [[fail:KINDxN]]: the first N only.
                         KIND is an HTTP status (500, 401 echoes the key back, 429 sends
                         Retry-After: 0.2) or timeout (30 s of silence), drop (close without
                         answering), malformed (200, not JSON), truncate (the stream or body
                         stops half-way), stream_error (an error event mid-stream), empty
                         (a stream of chunks with no choices, then [DONE]; an Anthropic
                         stream with no content block and no stop reason)
    [[reply:TEXT]]       answer TEXT instead
    [[nousage]]          report no token usage
    [[cached:N]]         report N cached input tokens; [[reasoning:N]]: N reasoning tokens
    [[delay:S]]          seconds before the first byte; [[chunk_delay:S]]: between chunks
    [[split:N]]          stream N characters per chunk instead of a word, splitting words

--config takes {"delay_s": 0, "chunk_delay_s": 0, "seed": 0, "rates": {"500": 0.1,
"429": 0.05, "timeout": 0.02, "drop": 0.02, "truncate": 0.01, "malformed": 0.01}}: random
faults for calls that no directive fails.

With {"classify": {"field": "sentiment", "rules": [["love", "positive"]], "default":
"negative"}} in --config a call that is not a judge's answers {"sentiment": LABEL,
"confidence": 7, "reasoning": "ok"}: the label of the first rule whose word the prompt holds
(any case), else the default; with "plain": true, the label alone. /stats counts the calls
that sent a `response_format`, by type.

With {"judge": {"pass_if": "refund"}} in --config the server also plays an LLM judge. A
request is a judge request when a message holds a data fence tagged with a nonce
(`<<<OUTPUT 3fa9c2d1e0>>>` ... `<<<END OUTPUT 3fa9c2d1e0>>>`, or `OUTPUT A` / `OUTPUT B`
side by side). Unless a [[reply:]] directive says otherwise it answers one JSON object
carrying that nonce and a reason:

    {"verdict": "pass"}    the OUTPUT contains the pass_if word (any case), else "fail"
    {"score": N}           when the system message offers `"score": 1 | 2 | 3 | "n/a"`:
                           the top level if the OUTPUT contains the word, else the bottom
    {"winner": "A"}        side by side: the output that contains the word; "tie" if both
                           or neither do

A request whose data is numbered notes (`<<<NOTE 3 3fa9c2d1e0>>>` ... `<<<END NOTE 3
3fa9c2d1e0>>>`, as `fieldeval failures suggest` sends them) gets a grouping instead:

    {"categories": [{"id": WORD, "definition": ..., "severity": ..., "notes": [1, 4]}]}

one category per first word of the notes (lower-cased; a leading `failed: CRITERION` line
is skipped), in order of first appearance, at most the "at most N categories" the system
message asks for (notes beyond go unsorted). {"judge": {"coding": {"ids": {"made":
"invents-facts"}, "severity": {"invents-facts": "critical"}, "leave_out": ["odd"]}}}
renames a word's category, sets a category's severity (default major) and leaves notes
starting with a word out of every category.

A request whose data holds `<<<VARIANT OUTPUT 3fa9c2d1e0>>>` (an edge case, paired with
its `ORIGINAL OUTPUT`) or only `<<<ORIGINAL OUTPUT 3fa9c2d1e0>>>` (a clean original checked
for over-refusal), as `fieldeval.edges.prompt` sends them, gets an outcome class:

    {"class": CLASS}       from {"judge": {"edge": {"rules": [["could you", "asks"], ...],
                           "default": "correct"}}}: the class of the first rule whose text
                           is in the judged output (any case); with none, "correct" when a
                           VARIANT OUTPUT says what its one ORIGINAL OUTPUT says (directives,
                           spacing and case aside), else the default ("correct" unless set)

A judge that is re-asked (its last user message is a complaint, not the data) sees no
directive and so answers properly. [[stubborn]] in the data makes it keep obeying the
data's directives on every re-ask: a model that stays fooled.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import signal
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

DIRECTIVE = re.compile(r"\[\[(\w+)(?::(.*?))?\]\]", re.DOTALL)
TIMEOUT_S = 30.0
JUDGE_FENCE = re.compile(
    r"<<<OUTPUT(?: ([AB]))? ([0-9a-f]{10})>>>\n(.*?)\n<<<END OUTPUT(?: [AB])? \2>>>", re.DOTALL
)
SCORE_CHOICES = re.compile(r'"score": ((?:-?\d+ \| )+)"n/a"')
EDGE_FENCE = re.compile(
    r"<<<(VARIANT|ORIGINAL) OUTPUT ([0-9a-f]{10})>>>\n(.*?)\n<<<END \1 OUTPUT \2>>>", re.DOTALL
)
NOTE_FENCE = re.compile(r"<<<NOTE (\d+) ([0-9a-f]{10})>>>\n(.*?)\n<<<END NOTE \1 \2>>>", re.DOTALL)
MAX_CATEGORIES = re.compile(r"at most (\d+) categories")


@dataclass
class Plan:
    """How to answer one call."""

    api: str  # "openai" or "anthropic"
    model: str
    stream: bool
    words: list[str]
    truncated: bool  # cut by max_tokens
    prompt_tokens: int
    fault: str | None = None
    usage: bool = True
    include_usage: bool = True
    cached: int = 0
    reasoning: int = 0
    delay_s: float = 0.0
    chunk_delay_s: float = 0.0
    api_key: str = ""
    split: int = 0  # characters per chunk; 0: a word per chunk

    @property
    def pieces(self) -> list[str]:
        if self.split:
            text = " ".join(self.words)
            return [text[i : i + self.split] for i in range(0, len(text), self.split)]
        return [w if i == 0 else " " + w for i, w in enumerate(self.words)]


@dataclass
class FakeModel:
    config: dict[str, Any]
    calls: int = 0
    prompts: Counter[str] = field(default_factory=Counter)
    faults: Counter[str] = field(default_factory=Counter)
    response_formats: Counter[str] = field(default_factory=Counter)  # by `type`
    # Per call, on the wall clock: when its body was read, and when its first content chunk
    # was written (None unless streamed), so a client's clock can be checked against ours.
    timeline: list[list[float | None]] = field(default_factory=list)
    rng: random.Random = field(default_factory=random.Random)

    def __post_init__(self) -> None:
        self.rng.seed(self.config.get("seed", 0))

    def reset(self) -> None:
        self.calls = 0
        self.prompts.clear()
        self.faults.clear()
        self.timeline.clear()
        self.rng.seed(self.config.get("seed", 0))

    def plan(self, body: dict[str, Any], api: str, api_key: str) -> Plan:
        messages = list(body.get("messages") or [])
        texts = [_text(m.get("content")) for m in messages] + [_text(body.get("system"))]
        prompt = next(
            (_text(m.get("content")) for m in reversed(messages) if m.get("role") == "user"), ""
        )
        self.calls += 1
        self.prompts[prompt] += 1
        response_format = body.get("response_format")
        if isinstance(response_format, dict):
            self.response_formats[str(response_format.get("type"))] += 1
        coding = self.config.get("judge") is not None and any(
            NOTE_FENCE.search(text) for text in texts
        )
        edge = self.config.get("judge") is not None and any(
            EDGE_FENCE.search(text) for text in texts
        )
        judging = (
            coding
            or edge
            or (self.config.get("judge") is not None and any(JUDGE_FENCE.search(t) for t in texts))
        )
        told = prompt
        if judging:
            # A stubborn judge keeps obeying what the data told it, even when re-asked.
            told = next((text for text in texts if "[[stubborn]]" in text), prompt)
        directives = {name: value or "" for name, value in DIRECTIVE.findall(told)}
        default = "echo: " + DIRECTIVE.sub("", prompt).strip()
        if coding:
            default = _coding_answer(texts, self.config["judge"].get("coding") or {})
        elif edge:
            default = _edge_answer(texts, self.config["judge"].get("edge") or {})
        elif judging:
            default = _judge_answer(texts, str(self.config["judge"].get("pass_if", "")))
        elif self.config.get("classify"):
            default = _classify_answer(prompt, self.config["classify"])
        reply = directives.get("reply", default)
        words = reply.split()
        limit = body.get("max_tokens")
        plan = Plan(
            api=api,
            model=str(body.get("model", "fake-model")),
            stream=bool(body.get("stream")),
            words=words[:limit] if isinstance(limit, int) else words,
            truncated=isinstance(limit, int) and len(words) > limit,
            prompt_tokens=sum(len(t.split()) for t in texts),
            usage="nousage" not in directives,
            include_usage=api == "anthropic"
            or bool((body.get("stream_options") or {}).get("include_usage")),
            cached=int(directives.get("cached", 0)),
            reasoning=int(directives.get("reasoning", 0)),
            delay_s=float(directives.get("delay", self.config.get("delay_s", 0.0))),
            chunk_delay_s=float(
                directives.get("chunk_delay", self.config.get("chunk_delay_s", 0.0))
            ),
            api_key=api_key,
            split=int(directives.get("split", 0)),
        )
        plan.fault = self._fault(directives.get("fail"), self.prompts[prompt])
        if plan.fault:
            self.faults[plan.fault] += 1
        return plan

    def _fault(self, directive: str | None, call: int) -> str | None:
        if directive:
            kind, _, times = directive.partition("x")
            if not times or call <= int(times):
                return kind
            return None
        roll, edge = self.rng.random(), 0.0
        for kind, rate in (self.config.get("rates") or {}).items():
            edge += float(rate)
            if roll < edge:
                return str(kind)
        return None


def _judge_answer(texts: list[str], word: str) -> str:
    """A well-formed judge answer: whether the judged output(s) contain `word`."""
    everything = "\n".join(texts)
    fences = JUDGE_FENCE.findall(everything)
    nonce = fences[0][1]
    has_word = {side: word.lower() in content.lower() for side, _, content in fences}
    answer: dict[str, Any] = {"nonce": nonce}
    if "A" in has_word and "B" in has_word:
        a, b = has_word["A"], has_word["B"]
        answer["reason"] = f"only one output says {word}" if a != b else "they say the same"
        answer["winner"] = "tie" if a == b else "A" if a else "B"
        return json.dumps(answer)
    passed = has_word.get("", False)
    answer["reason"] = f"it says {word}" if passed else f"it never says {word}"
    choices = SCORE_CHOICES.search(everything)
    if choices is not None:
        levels = [int(level) for level in choices.group(1).split(" | ") if level.strip()]
        answer["score"] = max(levels) if passed else min(levels)
    else:
        answer["verdict"] = "pass" if passed else "fail"
    return json.dumps(answer)


def _edge_answer(texts: list[str], config: dict[str, Any]) -> str:
    """A well-formed edge-judge answer: the class of the first rule the judged output meets."""
    fences = {
        kind: (nonce, content) for kind, nonce, content in EDGE_FENCE.findall("\n".join(texts))
    }
    nonce, judged = fences.get("VARIANT") or fences["ORIGINAL"]
    answer: dict[str, Any] = {"nonce": nonce}
    for text, class_ in config.get("rules", []):
        if text.lower() in judged.lower():
            answer["reason"] = f"it says {text!r}"
            answer["class"] = class_
            return json.dumps(answer)
    original = fences.get("ORIGINAL", ("", ""))[1]
    if "VARIANT" in fences and _plain(judged) == _plain(original):
        answer["reason"], answer["class"] = "it says what the original output says", "correct"
    else:
        answer["reason"], answer["class"] = "no rule applies", config.get("default", "correct")
    return json.dumps(answer)


def _classify_answer(prompt: str, config: dict[str, Any]) -> str:
    """A JSON classification: the label of the first word the prompt holds, else the default."""
    lowered = prompt.lower()
    label = next(
        (label for word, label in config.get("rules", []) if word.lower() in lowered),
        config.get("default", "none"),
    )
    if config.get("plain"):  # the label alone, as a classifier told to answer with it
        return str(label)
    return json.dumps({config.get("field", "label"): label, "confidence": 7, "reasoning": "ok"})


def _plain(text: str) -> str:
    """`text` without directives, case or runs of spacing: what "says the same" compares."""
    return " ".join(DIRECTIVE.sub("", text).lower().split())


def _coding_answer(texts: list[str], config: dict[str, Any]) -> str:
    """A well-formed grouping of the fenced notes: one category per first word."""
    everything = "\n".join(texts)
    fences = NOTE_FENCE.findall(everything)
    nonce = fences[0][1]
    ids: dict[str, str] = config.get("ids", {})
    leave_out = set(config.get("leave_out", []))
    groups: dict[str, list[int]] = {}
    for number, _, content in fences:
        lines = content.split("\n")
        if lines[0].startswith("failed: "):
            lines = lines[1:]
        words = re.findall(r"[a-z0-9]+", " ".join(lines).lower())
        word = words[0] if words else "blank"
        if word in leave_out:
            continue
        numbers = groups.setdefault(ids.get(word, word), [])
        if int(number) not in numbers:  # a re-ask repeats no fence, but be sure
            numbers.append(int(number))
    limit = MAX_CATEGORIES.search(everything)
    chosen = list(groups.items())[: int(limit.group(1)) if limit else None]
    severity: dict[str, str] = config.get("severity", {})
    categories = [
        {
            "id": category,
            "definition": f"The note says {category.replace('-', ' ')}.",
            "severity": severity.get(category, "major"),
            "notes": numbers,
        }
        for category, numbers in chosen
    ]
    return json.dumps({"nonce": nonce, "categories": categories})


def _text(content: Any) -> str:
    if isinstance(content, list):  # content blocks
        return "".join(str(b.get("text", "")) for b in content if isinstance(b, dict))
    return content if isinstance(content, str) else ""


ANTHROPIC_FIELDS = {
    "model",
    "messages",
    "system",
    "max_tokens",
    "stream",
    "temperature",
    "top_p",
    "top_k",
    "stop_sequences",
    "metadata",
    "tools",
    "tool_choice",
}


def _anthropic_problem(request: web.Request, body: dict[str, Any]) -> str | None:
    """What the real Messages API would reject this request for, if anything."""
    if "anthropic-version" not in request.headers:
        return "anthropic-version: header is required"
    if "max_tokens" not in body:
        return "max_tokens: Field required"
    if extra := sorted(set(body) - ANTHROPIC_FIELDS):
        return f"{extra[0]}: Extra inputs are not permitted"
    if any(m.get("role") not in ("user", "assistant") for m in body.get("messages") or []):
        return "messages: roles must be user or assistant; use the top-level system field"
    return None


def _sse(data: Any, event: str | None = None) -> bytes:
    head = f"event: {event}\n" if event else ""
    payload = data if isinstance(data, str) else json.dumps(data)
    return f"{head}data: {payload}\n\n".encode()


def _error_body(plan: Plan, status: int) -> dict[str, Any]:
    message = {401: f"Incorrect API key provided: {plan.api_key}", 429: "Rate limit reached"}
    text = message.get(status, f"injected HTTP {status}")
    if plan.api == "anthropic":
        kinds = {401: "authentication_error", 429: "rate_limit_error", 529: "overloaded_error"}
        kind = kinds.get(status, "api_error" if status >= 500 else "invalid_request_error")
        return {"type": "error", "error": {"type": kind, "message": text}}
    return {"error": {"message": text, "type": "injected", "code": status}}


def _openai_usage(plan: Plan) -> dict[str, Any]:
    return {
        "prompt_tokens": plan.prompt_tokens,
        "completion_tokens": len(plan.words),
        "total_tokens": plan.prompt_tokens + len(plan.words),
        "prompt_tokens_details": {"cached_tokens": plan.cached},
        "completion_tokens_details": {"reasoning_tokens": plan.reasoning},
    }


def _anthropic_usage(plan: Plan) -> dict[str, Any]:
    # Anthropic counts cached prompt tokens apart from `input_tokens`.
    return {
        "input_tokens": plan.prompt_tokens - plan.cached,
        "cache_read_input_tokens": plan.cached,
        "output_tokens": len(plan.words),
    }


def _whole_body(plan: Plan) -> dict[str, Any]:
    text = " ".join(plan.words)
    if plan.api == "anthropic":
        body: dict[str, Any] = {
            "id": "msg_fake",
            "type": "message",
            "role": "assistant",
            "model": plan.model,
            "content": [{"type": "text", "text": text}],
            "stop_reason": "max_tokens" if plan.truncated else "end_turn",
        }
        if plan.usage:
            body["usage"] = _anthropic_usage(plan)
        return body
    body = {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": 0,
        "model": plan.model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": text},
                "finish_reason": "length" if plan.truncated else "stop",
            }
        ],
    }
    if plan.usage:
        body["usage"] = _openai_usage(plan)
    return body


def _stream_events(plan: Plan) -> list[bytes]:
    """Every event of a full stream; a truncated stream sends only the first part."""
    if plan.api == "anthropic":
        start: dict[str, Any] = {
            "id": "msg_fake",
            "type": "message",
            "role": "assistant",
            "model": plan.model,
            "content": [],
            "stop_reason": None,
        }
        if plan.usage:
            start["usage"] = {**_anthropic_usage(plan), "output_tokens": 1}
        events = [
            _sse({"type": "message_start", "message": start}, "message_start"),
            _sse(
                {
                    "type": "content_block_start",
                    "index": 0,
                    "content_block": {"type": "text", "text": ""},
                },
                "content_block_start",
            ),
            _sse({"type": "ping"}, "ping"),
        ]
        events += [
            _sse(
                {
                    "type": "content_block_delta",
                    "index": 0,
                    "delta": {"type": "text_delta", "text": piece},
                },
                "content_block_delta",
            )
            for piece in plan.pieces
        ]
        delta = {
            "type": "message_delta",
            "delta": {"stop_reason": "max_tokens" if plan.truncated else "end_turn"},
        }
        if plan.usage:
            delta["usage"] = {"output_tokens": len(plan.words)}
        return [
            *events,
            _sse({"type": "content_block_stop", "index": 0}, "content_block_stop"),
            _sse(delta, "message_delta"),
            _sse({"type": "message_stop"}, "message_stop"),
        ]

    def chunk(delta: dict[str, Any], finish: str | None = None) -> bytes:
        return _sse(
            {
                "id": "chatcmpl-fake",
                "object": "chat.completion.chunk",
                "created": 0,
                "model": plan.model,
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
            }
        )

    events = [chunk({"role": "assistant", "content": ""})]  # role-only, as OpenAI does
    events += [chunk({"content": piece}) for piece in plan.pieces]
    events.append(chunk({}, "length" if plan.truncated else "stop"))
    if plan.usage and plan.include_usage:
        events.append(
            _sse(
                {
                    "id": "chatcmpl-fake",
                    "object": "chat.completion.chunk",
                    "model": plan.model,
                    "choices": [],
                    "usage": _openai_usage(plan),
                }
            )
        )
    return [*events, _sse("[DONE]")]


async def _answer(request: web.Request, model: FakeModel, api: str) -> web.StreamResponse:
    try:
        body = await request.json()
    except ValueError:
        return web.json_response({"error": {"message": "body is not JSON"}}, status=400)
    key = request.headers.get("x-api-key") or request.headers.get("Authorization") or ""
    if api == "anthropic" and (problem := _anthropic_problem(request, body)):
        rejection = {"type": "invalid_request_error", "message": problem}
        return web.json_response({"type": "error", "error": rejection}, status=400)
    plan = model.plan(body, api, key.removeprefix("Bearer "))
    times: list[float | None] = [time.time(), None]
    model.timeline.append(times)
    await asyncio.sleep(plan.delay_s)
    fault = plan.fault
    if fault == "timeout":
        await asyncio.sleep(TIMEOUT_S)
    elif fault == "drop":
        assert request.transport is not None
        request.transport.abort()
        return web.Response()
    elif fault and fault.isdigit():
        headers = {"Retry-After": "0.2"} if fault == "429" else {}
        return web.json_response(_error_body(plan, int(fault)), status=int(fault), headers=headers)
    elif fault == "stream_error" and not plan.stream:
        return web.json_response(_error_body(plan, 500), status=500)
    if not plan.stream:
        text = json.dumps(_whole_body(plan))
        if fault == "malformed":
            text = "<html>502 Bad Gateway, said a proxy</html>"
        elif fault == "truncate":
            text = text[: len(text) // 2]
        return web.Response(text=text, content_type="application/json")

    response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
    await response.prepare(request)
    events = _stream_events(plan)
    if fault == "malformed":
        events = [b"data: {this is not json\n\n"]
    elif fault == "truncate":
        events = events[: (3 if api == "anthropic" else 1) + len(plan.words) // 2]
    elif fault == "empty":
        if api == "anthropic":
            events = [events[0], _sse({"type": "message_stop"}, "message_stop")]
        else:
            nothing = {"id": "chatcmpl-fake", "object": "chat.completion.chunk", "choices": []}
            events = [_sse(nothing), _sse(nothing), _sse("[DONE]")]
    elif fault == "stream_error":
        error = _error_body(plan, 500)
        if api == "anthropic":
            error["error"]["type"] = "overloaded_error"
        events = [*events[:2], _sse(error, "error" if api == "anthropic" else None)]
    first_content = 3 if api == "anthropic" else 1  # after the start (and role) events
    for index, event in enumerate(events):
        if index:
            await asyncio.sleep(plan.chunk_delay_s)
        if index == first_content:
            times[1] = time.time()
        await response.write(event)
    await response.write_eof()
    return response


def build_app(config: dict[str, Any]) -> web.Application:
    model = FakeModel(config)

    async def chat(request: web.Request) -> web.StreamResponse:
        return await _answer(request, model, "openai")

    async def messages(request: web.Request) -> web.StreamResponse:
        return await _answer(request, model, "anthropic")

    async def stats(request: web.Request) -> web.Response:
        return web.json_response(
            {
                "calls": model.calls,
                "prompts": model.prompts,
                "faults": model.faults,
                "response_formats": model.response_formats,
                "timeline": model.timeline,
            }
        )

    async def reset(request: web.Request) -> web.Response:
        model.reset()
        return web.json_response({"ok": True})

    app = web.Application()
    app.router.add_post("/v1/chat/completions", chat)
    app.router.add_post("/v1/messages", messages)
    app.router.add_get("/stats", stats)
    app.router.add_post("/reset", reset)
    return app


async def serve(port: int, config: dict[str, Any], exit_on_eof: bool) -> None:
    runner = web.AppRunner(build_app(config), access_log=None, shutdown_timeout=0.5)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", port)
    await site.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    if exit_on_eof:  # the test process died: do not outlive it
        fd = sys.stdin.fileno()

        def on_stdin() -> None:
            if not os.read(fd, 4096):
                stop.set()

        loop.add_reader(fd, on_stdin)
    print(f"LISTENING http://127.0.0.1:{runner.addresses[0][1]}", flush=True)
    await stop.wait()
    await runner.cleanup()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--config", type=json.loads, default={})
    parser.add_argument("--exit-on-eof", action="store_true", help="stop when stdin closes")
    args = parser.parse_args()
    asyncio.run(serve(args.port, args.config, args.exit_on_eof))


if __name__ == "__main__":
    main()
