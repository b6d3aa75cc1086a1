"""Candidates in the suite file: what every kind shares, and the built-in kinds.

A plugin adds a kind by subclassing `CandidateBase` with its own `provider: Literal[...]`
(see docs/plugins.md); `fieldeval.suite.schema` builds the union of all kinds.
"""

from __future__ import annotations

import re
from typing import Any, Literal, get_args
from urllib.parse import urlsplit

from pydantic import BaseModel, Field, field_validator

from fieldeval.suite.prompt import ID, PromptField, Strict, prompt_from_yaml


class Price(Strict):
    """US dollars per million tokens, plus an optional fixed price per call."""

    input_per_mtok: float = Field(0.0, ge=0)
    output_per_mtok: float = Field(0.0, ge=0)
    cached_input_per_mtok: float | None = Field(None, ge=0)
    reasoning_per_mtok: float | None = Field(None, ge=0)
    per_call: float = Field(0.0, ge=0)


class RateLimit(Strict):
    rpm: float | None = Field(None, gt=0, description="requests per minute")
    tpm: float | None = Field(None, gt=0, description="tokens per minute (input + output)")


class Retry(Strict):
    attempts: int = Field(4, ge=1, description="calls in all, the first included")
    backoff_s: float = Field(0.5, ge=0, description="first wait; doubles each time, with jitter")
    max_backoff_s: float = Field(30.0, ge=0, description="the cap on fieldeval's own backoff")
    max_retry_after_s: float = Field(
        120.0, ge=0, description="the longest a server's Retry-After is waited"
    )


def reachable_url(value: str) -> str:
    """An http(s) URL with a host (and a valid port): what a model's server can be."""
    try:
        parts = urlsplit(value)
        port = parts.port  # raises for a port out of range or not a number
    except ValueError as error:
        raise ValueError(f"{value!r} is not a URL: {error}") from None
    if parts.scheme not in ("http", "https"):
        raise ValueError(
            f"{value!r} must start with http or https, e.g. 'http://127.0.0.1:8080/v1'"
        )
    if not parts.hostname:
        raise ValueError(f"{value!r} has no host, e.g. 'https://api.example.com'")
    del port
    return value


class CandidateBase(Strict):
    provider: str  # each kind narrows it to its own Literal, the union's discriminator
    id: str = Field(pattern=ID)
    prompt: PromptField | None = Field(None, description="Overrides the task's prompt.")
    params: dict[str, Any] = Field(default_factory=dict)
    concurrency: int = Field(4, ge=1, le=1024)
    rate_limit: RateLimit | None = None
    retry: Retry = Retry()
    timeout_s: float = Field(120.0, gt=0)
    price: Price | None = None

    _coerce_prompt = field_validator("prompt", mode="before")(prompt_from_yaml)


class OpenAICandidate(CandidateBase):
    provider: Literal["openai"]
    model: str
    base_url: str = "https://api.openai.com/v1"
    _url = field_validator("base_url")(reachable_url)
    api_key_env: str | None = Field("OPENAI_API_KEY", description="env var holding the key")
    stream: bool = True


class AnthropicCandidate(CandidateBase):
    provider: Literal["anthropic"]
    model: str
    base_url: str = "https://api.anthropic.com"
    _url = field_validator("base_url")(reachable_url)
    api_key_env: str = "ANTHROPIC_API_KEY"
    stream: bool = True


class LocalCandidate(CandidateBase):
    provider: Literal["local"]
    model: str = Field("gemma3-270m", description="the bundled model, or a path to a GGUF file")
    threads: int | None = Field(None, ge=1)
    context: int = Field(4096, ge=256)
    stream: bool = True


class HttpCandidate(CandidateBase):
    """The team's own app: a JSON request template and a JSONPath to the answer."""

    provider: Literal["http"]
    url: str
    _url = field_validator("url")(reachable_url)
    method: Literal["POST", "PUT", "GET"] = "POST"
    headers: dict[str, str] = Field(
        default_factory=dict, description="values may name env vars as ${NAME}"
    )
    body: Any = Field(None, description="JSON body; strings are templates over the example")
    response_path: str = Field("$", description="JSONPath to the answer text")


class PythonCandidate(CandidateBase):
    provider: Literal["python"]
    function: str = Field(description="module:function, sync or async, called with the request")

    @field_validator("function")
    @classmethod
    def _module_colon_function(cls, value: str) -> str:
        if not re.fullmatch(r"[\w.]+:[\w.]+", value):
            raise ValueError("expected 'module:function', e.g. 'my_app.bot:answer'")
        return value


class CommandCandidate(CandidateBase):
    provider: Literal["command"]
    command: tuple[str, ...] = Field(description="argv; the prompt goes to stdin")

    @field_validator("command", mode="before")
    @classmethod
    def _split(cls, value: Any) -> Any:
        if isinstance(value, str):
            import shlex

            return shlex.split(value)
        return value


class RecordedCandidate(CandidateBase):
    """Outputs the app already gave, read from a file and matched by example id."""

    provider: Literal["recorded"]
    path: str = Field(description="the file of outputs, relative to the suite's folder")
    format: Literal["auto", "csv", "jsonl", "json", "chat"] = "auto"
    id_field: str = Field("id", description="field holding the example id")
    output_field: str = Field("output", description="the output; chat logs: last assistant turn")
    latency_field: str | None = Field(None, description="field holding latency in milliseconds")
    input_tokens_field: str | None = None
    output_tokens_field: str | None = None
    encoding: str | None = None


BUILT_IN: tuple[type[CandidateBase], ...] = (
    OpenAICandidate,
    AnthropicCandidate,
    LocalCandidate,
    HttpCandidate,
    PythonCandidate,
    CommandCandidate,
    RecordedCandidate,
)


def provider_name(kind: type[CandidateBase]) -> str:
    """The `provider:` value a candidate kind answers to, read off its Literal."""
    return discriminator(kind, "provider")


def discriminator(kind: type[BaseModel], field: str) -> str:
    """The one value of a kind's `Literal[...]` field: the value that selects it in a union."""
    values = get_args(kind.model_fields[field].annotation)
    if len(values) != 1 or not isinstance(values[0], str):
        raise TypeError(f"{kind.__name__}.{field} must be a Literal of one string")
    return values[0]
