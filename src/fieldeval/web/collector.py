"""`fieldeval collect`'s OTLP/HTTP receiver: `POST /v1/traces` and `/v1/logs`, as OpenTelemetry
exporters send them (GenAI log events carry the content some instrumentations log apart).

Protobuf (`application/x-protobuf`, the exporters' default) and OTLP/JSON
(`application/json`), optionally gzipped. Each export's model calls are stored before the
answer, so an exporter that got 200 has lost nothing. On loopback the receiver answers to
localhost names only; bound wider, every request carries the token as
`Authorization: Bearer TOKEN` (OTEL_EXPORTER_OTLP_HEADERS="Authorization=Bearer TOKEN").
"""

from __future__ import annotations

import hmac
import json
import zlib
from collections.abc import Callable
from typing import Literal

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from fieldeval.errors import DataError
from fieldeval.pipeline.production import Collected, store_records
from fieldeval.records.production import ProductionEvent, ProductionRecord
from fieldeval.store import Store
from fieldeval.traces.conventions import model_calls
from fieldeval.traces.events import events_from_json, events_from_protobuf
from fieldeval.traces.spans import require_protobuf, spans_from_json, spans_from_protobuf
from fieldeval.web.security import Security, is_loopback

# The OpenTelemetry Collector's own default limit on a request.
MAX_BODY_BYTES = 20 * 1024 * 1024
_PROTOBUF = "application/x-protobuf"


def create_collector(
    store: Store, security: Security, *, log: Callable[[Collected], None] | None = None
) -> Starlette:
    require_protobuf()

    async def traces(request: Request) -> Response:
        return await receive(request, "traces")

    async def logs(request: Request) -> Response:
        return await receive(request, "logs")

    async def receive(request: Request, signal: Literal["traces", "logs"]) -> Response:
        refusal = _refusal(request, security)
        if refusal is not None:
            return refusal
        kind = request.headers.get("content-type", "").split(";")[0].strip()
        if kind not in (_PROTOBUF, "application/json"):
            return _error(415, f"send {_PROTOBUF} or application/json, not {kind or 'nothing'}")
        body = await _body(request)
        if body is None:
            return _error(
                413, f"an export may be at most {MAX_BODY_BYTES} bytes; send smaller batches"
            )
        try:
            body = _decoded(body, request.headers.get("content-encoding", ""))
            records, events = _read(body, kind == _PROTOBUF, signal)
        except (DataError, ValueError, OSError, zlib.error) as error:
            return _error(400, str(error))
        collected = await run_in_threadpool(store_records, records, events, store=store)
        if log is not None:
            log(collected)
        if kind == _PROTOBUF:
            # An empty Export*ServiceResponse: no fields set serialises to no bytes.
            return Response(b"", media_type=_PROTOBUF)
        return JSONResponse({})

    return Starlette(
        routes=[
            Route("/v1/traces", traces, methods=["POST"]),
            Route("/v1/logs", logs, methods=["POST"]),
        ]
    )


def _read(
    body: bytes, protobuf: bool, signal: Literal["traces", "logs"]
) -> tuple[list[ProductionRecord], list[ProductionEvent]]:
    """The model calls of a trace export, or the GenAI events of a log export."""
    if signal == "logs":
        if protobuf:
            return [], list(events_from_protobuf(body, "the export"))
        return [], list(events_from_json(json.loads(body), "the export"))
    if protobuf:
        spans = list(spans_from_protobuf(body, "the export"))
    else:
        spans = list(spans_from_json(json.loads(body), "the export"))
    return list(model_calls(spans)), []


def _refusal(request: Request, security: Security) -> Response | None:
    host = request.headers.get("host", "").rsplit(":", 1)[0].strip("[]")
    if security.loopback_only and not is_loopback(host):
        return _error(403, f"this receiver answers to localhost only, not {host!r}")
    if security.require_token:
        given = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
        if not hmac.compare_digest(given.encode(), security.token.encode()):
            return _error(401, "send the token: Authorization: Bearer TOKEN")
    return None


async def _body(request: Request) -> bytes | None:
    """The request's body, or None past the limit (read no further than that)."""
    chunks = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def _decoded(body: bytes, encoding: str) -> bytes:
    if encoding.strip() == "gzip":
        # Decompressed in bounded steps, so a small bomb cannot take the memory.
        decompressor = zlib.decompressobj(16 + zlib.MAX_WBITS)
        body = decompressor.decompress(body, MAX_BODY_BYTES + 1)
        if len(body) > MAX_BODY_BYTES or decompressor.unconsumed_tail:
            raise ValueError(f"an export may be at most {MAX_BODY_BYTES} bytes uncompressed")
    elif encoding.strip() not in ("", "identity"):
        raise ValueError(f"Content-Encoding {encoding!r} is not supported: send gzip or none")
    return body


def _error(status: int, message: str) -> Response:
    return JSONResponse({"code": status, "message": message}, status_code=status)
