"""A production window sent again: its arrival times (scaled) and its requests' lengths.

The records of [since, until) are sent at (started_at − since)/scale seconds, each a
synthetic prompt of the record's input tokens (else its input's characters / 4) asking for
its output tokens (else 100), so the server sees production's timing and sizes without its
content. One open-loop level spans the window; latency is also measured from each request's
scheduled time (`e2e_scheduled`), so a queue in front of the server (the concurrency cap,
the connection pool) cannot hide in it.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import datetime

from fieldeval.errors import UserError
from fieldeval.load.prompts import CHARS_PER_TOKEN, PASSAGE, synthetic_text
from fieldeval.records.production import ProductionRecord
from fieldeval.records.request import Message, ModelRequest
from fieldeval.suite.candidates import CandidateBase
from fieldeval.suite.load import Load, Replay

DEFAULT_OUTPUT_TOKENS = 100


def replay_spec(
    spec: Load,
    records: Sequence[ProductionRecord],
    *,
    since: datetime,
    until: datetime,
    scale: float = 1.0,
) -> Load:
    """`spec` as one open-loop level sending `records` as production did, `scale` times faster."""
    if not records:
        raise UserError(
            f"no production record between {since.isoformat()} and {until.isoformat()} to replay",
            hint="collect traces first (`fieldeval collect`), or widen --since/--until",
        )
    if not scale > 0:
        raise UserError(f"--scale must be above 0, not {scale}")
    ordered = sorted(records, key=lambda record: record.started_at)
    span_s = (until - since).total_seconds() / scale
    arrivals = tuple((r.started_at - since).total_seconds() / scale for r in ordered)
    replay = Replay(
        since=since.isoformat(),
        until=until.isoformat(),
        scale=scale,
        arrivals_s=arrivals,
        input_tokens=tuple(
            r.input_tokens or max(1, len(r.input) // CHARS_PER_TOKEN) for r in ordered
        ),
        output_tokens=tuple(r.output_tokens or DEFAULT_OUTPUT_TOKENS for r in ordered),
    )
    return Load.model_validate(
        {
            **spec.model_dump(),
            "mode": "open",
            "rates": (len(ordered) / span_s,),
            "warmup_s": 0.0,
            "ramp_s": 0.0,
            "cooldown_s": 0.0,
            "duration_s": span_s,
            "prompts": "synthetic",
            "replay": replay.model_dump(),
        }
    )


def replay_requests(candidate: CandidateBase, replay: Replay, *, seed: int) -> list[ModelRequest]:
    """One request per arrival, in arrival order, of its input and output lengths."""
    params = {k: v for k, v in candidate.params.items() if k != "stop"}
    starts = random.Random(seed)
    requests = []
    for i, (tokens_in, tokens_out) in enumerate(
        zip(replay.input_tokens, replay.output_tokens, strict=True)
    ):
        text = synthetic_text(tokens_in, start=starts.randrange(len(PASSAGE)))
        requests.append(
            ModelRequest(
                messages=(Message("user", text),),
                params={**params, "max_tokens": tokens_out},
                variables={"id": f"replay-{i}", "input": text},
            )
        )
    return requests
