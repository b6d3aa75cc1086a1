"""What a model answered: its text, token usage and timings."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fieldeval.records.request import Message


@dataclass
class Usage:
    input_tokens: int | None = None
    output_tokens: int | None = None
    cached_input_tokens: int | None = None
    reasoning_tokens: int | None = None
    estimated: bool = False  # True when counted by the client, not reported by the server

    @classmethod
    def estimate(cls, messages: Iterable[Message], text: str) -> Usage:
        """About four characters per token, for servers and apps that report no usage."""
        input_chars = sum(len(message.content) for message in messages)
        return cls(
            input_tokens=math.ceil(input_chars / 4),
            output_tokens=math.ceil(len(text) / 4),
            estimated=True,
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "cached_input_tokens": self.cached_input_tokens,
            "reasoning_tokens": self.reasoning_tokens,
            "estimated": self.estimated,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Usage:
        return cls(
            **{
                k: data.get(k)
                for k in (
                    "input_tokens",
                    "output_tokens",
                    "cached_input_tokens",
                    "reasoning_tokens",
                )
            },
            estimated=bool(data.get("estimated", False)),
        )


@dataclass
class Completion:
    """A provider's answer. Times are seconds since the request was sent."""

    text: str
    usage: Usage = field(default_factory=Usage)
    finish_reason: str | None = None
    latency_s: float | None = None
    ttft_s: float | None = None  # first content token; a role-only chunk does not count
    chunk_times_s: list[float] = field(default_factory=list)
    model: str | None = None  # the model name the server reports
    first_byte_s: float | None = None  # the response headers arrived (TTFB)

    def to_dict(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "usage": self.usage.to_dict(),
            "finish_reason": self.finish_reason,
            "latency_s": self.latency_s,
            "ttft_s": self.ttft_s,
            "chunk_times_s": self.chunk_times_s,
            "model": self.model,
            "first_byte_s": self.first_byte_s,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Completion:
        return cls(
            text=data["text"],
            usage=Usage.from_dict(data.get("usage") or {}),
            finish_reason=data.get("finish_reason"),
            latency_s=data.get("latency_s"),
            ttft_s=data.get("ttft_s"),
            chunk_times_s=list(data.get("chunk_times_s") or []),
            model=data.get("model"),
            first_byte_s=data.get("first_byte_s"),
        )
