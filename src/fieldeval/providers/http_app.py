"""The team's own app over HTTP: a JSON request template in, a JSONPath to the answer out.

Every string in the body template is a sandboxed Jinja2 template over the example's fields
plus `prompt` (the messages as one text) and `messages` (a list of {role, content}). A string
that is exactly one `{{ name }}` is replaced by the value itself, so `"{{ messages }}"` sends
a JSON list rather than its text. Header values may name environment variables as `${NAME}`.
"""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import aiohttp
from jsonpath_ng import JSONPath
from jsonpath_ng.exceptions import JSONPathError
from jsonpath_ng.ext.parser import parse as parse_jsonpath

from fieldeval.errors import ConfigError, ErrorKind, ProviderError
from fieldeval.providers._transport import describe, status_error
from fieldeval.records.completion import Completion, Usage
from fieldeval.records.request import ModelRequest
from fieldeval.suite.candidates import HttpCandidate
from fieldeval.suite.template import render

_ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_WHOLE_FIELD = re.compile(r"^\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}$")
_SHOWN_CHARS = 200


def resolve_headers(headers: Mapping[str, str]) -> tuple[dict[str, str], list[str]]:
    """Header values with `${NAME}` replaced from the environment, and the values used."""
    secrets: list[str] = []

    def resolve(key: str, value: str) -> str:
        def lookup(match: re.Match[str]) -> str:
            name = match.group(1)
            if name not in os.environ:
                raise ConfigError(
                    f"header {key!r} needs the environment variable {name}, which is not set",
                    hint=f"export {name}=... before running",
                )
            secrets.append(os.environ[name])
            return os.environ[name]

        return _ENV_REF.sub(lookup, value)

    resolved = {key: resolve(key, value) for key, value in headers.items()}
    return resolved, [secret for secret in secrets if secret]


def render_body(template: Any, fields: Mapping[str, Any], where: str = "body") -> Any:
    """The body template with every string rendered over `fields`."""
    if isinstance(template, str):
        whole = _WHOLE_FIELD.match(template)
        if whole and whole.group(1) in fields:
            return fields[whole.group(1)]
        return render(template, fields, where=where)
    if isinstance(template, list | tuple):
        return [render_body(item, fields, f"{where}[{i}]") for i, item in enumerate(template)]
    if isinstance(template, Mapping):
        return {
            key: render_body(value, fields, f"{where}.{key}") for key, value in template.items()
        }
    return template


def request_payload(body: Any, request: ModelRequest) -> Any:
    """What is sent for `request`: the body template rendered over its fields, or the
    prompt alone when the candidate has no body."""
    fields = {
        **request.variables,
        "prompt": request.prompt_text,
        "messages": [message.to_dict() for message in request.messages],
    }
    return {"prompt": fields["prompt"]} if body is None else render_body(body, fields)


def _text(body: bytes) -> str:
    return body.decode("utf-8", errors="replace")


def _describe(values: list[Any]) -> str:
    if not values:
        return "nothing"
    return f"{len(values)} values" if len(values) > 1 else f"a {type(values[0]).__name__}"


class HttpAppProvider:
    """Calls the team's app with a templated JSON request and reads the answer by JSONPath."""

    def __init__(
        self,
        *,
        url: str,
        method: str = "POST",
        headers: Mapping[str, str] | None = None,
        body: Any = None,
        response_path: str = "$",
        timeout_s: float = 120.0,
        max_connections: int = 4,
    ) -> None:
        if method == "GET" and body is not None and not isinstance(body, Mapping):
            raise ConfigError(
                f"a GET request's body must be a mapping, not {type(body).__name__}",
                hint="its keys and values become the query string",
            )
        self.url = url
        self.method = method
        self.body = body
        self.response_path = response_path
        self._headers, self._secrets = resolve_headers(headers or {})
        self._timeout = aiohttp.ClientTimeout(total=timeout_s)
        self._max_connections = max_connections
        self._session: aiohttp.ClientSession | None = None
        try:
            self._path: JSONPath = parse_jsonpath(response_path)
        except JSONPathError as error:
            raise ConfigError(
                f"response_path {response_path!r} is not JSONPath: {error}"
            ) from error

    async def complete(self, request: ModelRequest) -> Completion:
        payload = request_payload(self.body, request)
        if self._session is None:
            connector = aiohttp.TCPConnector(limit=self._max_connections)
            self._session = aiohttp.ClientSession(connector=connector, timeout=self._timeout)
        # GET carries the request in the query string; the others as a JSON body.
        options: dict[str, Any] = {"headers": self._headers}
        if self.method == "GET":
            options["params"] = {key: str(value) for key, value in dict(payload).items()}
        else:
            options["json"] = payload
        started = time.perf_counter()
        try:
            async with self._session.request(self.method, self.url, **options) as response:
                raw = await response.read()
                status, headers = response.status, response.headers
        except TimeoutError as error:
            raise ProviderError(f"no answer from {self.url} in time", ErrorKind.TIMEOUT) from error
        except aiohttp.ClientError as error:
            message = self._redact(f"cannot reach {self.url}: {describe(error)}")
            raise ProviderError(message, ErrorKind.CONNECTION) from error
        latency = time.perf_counter() - started
        if status >= 400:
            raise status_error(status, headers, self._redact(_text(raw)), None)
        text = self._extract(raw, status)
        return Completion(
            text=text, usage=Usage.estimate(request.messages, text), latency_s=latency
        )

    def _shown(self, body: bytes) -> str:
        return self._redact(_text(body)[:_SHOWN_CHARS])

    def _redact(self, text: str) -> str:
        # The app may echo a header back in an error; env-var values must never be stored.
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return text

    def _extract(self, raw: bytes, status: int) -> str:
        try:
            document = json.loads(raw)
        except ValueError as error:
            raise ProviderError(
                f"the app's answer is not JSON: {self._shown(raw)!r}",
                ErrorKind.BAD_RESPONSE,
                status=status,
            ) from error
        values = [match.value for match in self._path.find(document)]
        if len(values) != 1 or not isinstance(values[0], str):
            raise ProviderError(
                f"response_path {self.response_path!r} found {_describe(values)}, not one string,"
                f" in {self._shown(raw)!r}",
                ErrorKind.BAD_RESPONSE,
                status=status,
            )
        return values[0]

    async def aclose(self) -> None:
        session, self._session = self._session, None
        if session is not None:
            await session.close()

    def cache_identity(self) -> Mapping[str, Any]:
        # Header values are left out on purpose: they are usually secrets.
        return {
            "provider": "http",
            "url": self.url,
            "method": self.method,
            "body": self.body,
            "response_path": self.response_path,
        }


def from_candidate(candidate: HttpCandidate, *, base_dir: Path) -> HttpAppProvider:
    return HttpAppProvider(
        url=candidate.url,
        method=candidate.method,
        headers=candidate.headers,
        body=candidate.body,
        response_path=candidate.response_path,
        timeout_s=candidate.timeout_s,
        max_connections=candidate.concurrency,
    )


def render_requests(candidate: HttpCandidate, requests: Iterable[ModelRequest]) -> None:
    """The body template rendered for every request, so a field it lacks fails first."""
    for request in requests:
        request_payload(candidate.body, request)
