"""What the hosted-API providers share: one aiohttp session, and mapping failures to errors.

Every way a call can fail leaves here as a `ProviderError`, so the runner never sees an
aiohttp or socket exception, and no message ever carries the API key.
"""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator, Iterator, Mapping
from contextlib import asynccontextmanager, contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import aiohttp

from fieldeval.errors import ConfigError, ErrorKind, ProviderError
from fieldeval.records.completion import Completion, Usage
from fieldeval.records.request import ModelRequest

MAX_DETAIL_CHARS = 300


class JSONClient:
    """POSTs JSON through one session, created lazily so it binds to the running loop."""

    def __init__(
        self,
        *,
        headers: Mapping[str, str],
        timeout_s: float,
        max_connections: int,
        secret: str | None = None,
        reuse_connections: bool = True,
    ) -> None:
        self._headers = dict(headers)
        # `total` bounds the whole call, body included. No `sock_read`: it could not be
        # tighter (a model may think for most of the budget before its first byte), so it
        # would never fire before `total`, and aiohttp re-arms its timer on every read, a
        # cost per streamed chunk that a load test pays tens of thousands of times a second.
        self._timeout = aiohttp.ClientTimeout(total=timeout_s, sock_connect=min(timeout_s, 30.0))
        self._max_connections = max_connections
        self._reuse_connections = reuse_connections
        self._secret = secret
        self._session: aiohttp.ClientSession | None = None

    def _get_session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(
                limit=self._max_connections, force_close=not self._reuse_connections
            )
            self._session = aiohttp.ClientSession(
                connector=connector, headers=self._headers, timeout=self._timeout
            )
        return self._session

    @asynccontextmanager
    async def post(
        self, url: str, body: Mapping[str, Any]
    ) -> AsyncIterator[aiohttp.ClientResponse]:
        """The response to a POST, already checked for an error status.

        Transport failures while the caller reads the body are mapped too.
        """
        session = self._get_session()
        try:
            async with session.post(url, json=body) as response:
                if response.status >= 400:
                    text = await response.text(errors="replace")
                    raise status_error(response.status, response.headers, text, self._secret)
                yield response
        except TimeoutError as exc:  # aiohttp's timeouts subclass it; check them first
            raise ProviderError(
                f"no complete answer within {self._timeout.total:g} s", ErrorKind.TIMEOUT
            ) from exc
        except aiohttp.InvalidURL as exc:
            raise ProviderError(f"invalid URL {url!r}", ErrorKind.CLIENT_ERROR) from exc
        except (aiohttp.ClientConnectionError, aiohttp.ClientPayloadError, OSError) as exc:
            raise ProviderError(self.redact(describe(exc)), ErrorKind.CONNECTION) from exc
        except aiohttp.ClientError as exc:  # e.g. a reply that is not valid HTTP
            raise ProviderError(self.redact(describe(exc)), ErrorKind.BAD_RESPONSE) from exc

    @property
    def secret(self) -> str | None:
        """The key this client sends, for redacting what is assembled from its answers."""
        return self._secret

    def redact(self, text: str) -> str:
        return redact(text, self._secret)

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


def status_error(
    status: int, headers: Mapping[str, str], body: str, secret: str | None
) -> ProviderError:
    """The error for an HTTP error status, with the server's own message when it gave one."""
    if status == 429:
        kind = ErrorKind.RATE_LIMITED
    elif status >= 500 or status == 408:
        kind = ErrorKind.SERVER_ERROR
    else:
        kind = ErrorKind.CLIENT_ERROR
    detail = redact(error_detail(body), secret)[:MAX_DETAIL_CHARS]
    return ProviderError(
        detail or "the server gave no reason", kind, status=status, retry_after=retry_after(headers)
    )


def error_detail(body: str) -> str:
    """`error.message` from an OpenAI- or Anthropic-style error body, else the body itself."""
    try:
        data = json.loads(body)
    except ValueError:
        return body.strip()
    error = data.get("error") if isinstance(data, dict) else None
    if isinstance(error, dict) and isinstance(error.get("message"), str):
        return str(error["message"])
    if isinstance(error, str):
        return error
    return body.strip()


def retry_after(headers: Mapping[str, str]) -> float | None:
    """Seconds to wait, from `retry-after-ms` or `Retry-After` (seconds or an HTTP date)."""
    millis = headers.get("retry-after-ms")
    if millis is not None:
        try:
            return max(0.0, float(millis) / 1000)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def describe(exc: BaseException) -> str:
    return str(exc) or type(exc).__name__


def redact(text: str, secret: str | None) -> str:
    return text.replace(secret, "***") if secret else text


def bad_response(message: str, body: str = "") -> ProviderError:
    """A reply that is not what the API promises; shows the start of the body."""
    snippet = body.strip()[:MAX_DETAIL_CHARS]
    return ProviderError(f"{message}: {snippet!r}" if snippet else message, ErrorKind.BAD_RESPONSE)


def parse_json(text: str, what: str) -> Any:
    try:
        return json.loads(text)
    except ValueError as exc:
        raise bad_response(f"{what} is not JSON", text) from exc


def streamed_completion(
    request: ModelRequest,
    parts: list[str],
    chunk_times: list[float],
    *,
    latency_s: float,
    finish_reason: str | None,
    usage: Usage | None,
    model: str | None,
    secret: str | None,
) -> Completion:
    """A finished stream as a Completion: the first content chunk's time is the TTFT.

    The text is redacted whole: a key the server repeats can be split over chunks, which
    redacting each event would miss. A stream with no content and no finish reason is no
    answer at all, whatever ended it: a `bad_response`, as the same reply unstreamed is.
    """
    if not parts and finish_reason is None:
        raise bad_response("the stream carried no content and no finish reason")
    text = redact("".join(parts), secret)
    return Completion(
        text=text,
        usage=usage or Usage.estimate(request.messages, text),
        finish_reason=finish_reason,
        latency_s=latency_s,
        ttft_s=chunk_times[0] if chunk_times else None,
        chunk_times_s=chunk_times,
        model=model,
    )


def int_or_none(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def key_warnings(variable: str | None, candidate_id: str) -> tuple[str, ...]:
    """`validate`'s warning when the candidate's key variable is not set in this shell."""
    if variable is None or os.environ.get(variable):
        return ()
    return (
        f"candidate {candidate_id!r} reads its API key from {variable}, which is not set"
        f" here: `fieldeval run` will stop; export {variable}=<your key> first",
    )


# Set while building providers that will never call (a dry run): a missing key is no error.
_NO_CALLS: ContextVar[bool] = ContextVar("fieldeval_no_calls", default=False)


@contextmanager
def building_without_calls() -> Iterator[None]:
    """Providers built in this block never call a model, so they need no API key."""
    token = _NO_CALLS.set(True)
    try:
        yield
    finally:
        _NO_CALLS.reset(token)


def api_key_from_env(variable: str, candidate_id: str, *, optional_hint: bool) -> str:
    """The key in `variable`; a `ConfigError` that says how to set it when it is missing."""
    key = os.environ.get(variable, "")
    if key or _NO_CALLS.get():
        return key
    hint = f"export {variable}=<your key> before running"
    if optional_hint:
        hint += ", or set `api_key_env: null` for a server that needs no key"
    raise ConfigError(
        f"candidate {candidate_id!r} reads its API key from the environment variable"
        f" {variable}, which is not set",
        hint=hint,
    )


def as_dict(value: Any) -> dict[str, Any]:
    """`value` if it is a JSON object, else empty: servers omit or null fields freely."""
    return value if isinstance(value, dict) else {}


def str_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) else None
