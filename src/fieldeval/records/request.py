"""What a model is asked: messages in roles, and the parameters that change the answer."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

Role = Literal["system", "user", "assistant", "tool"]


@dataclass(frozen=True)
class Message:
    role: Role
    content: str

    def to_dict(self) -> dict[str, str]:
        return {"role": self.role, "content": self.content}


@dataclass(frozen=True)
class ModelRequest:
    """What a candidate is asked: the rendered messages and its generation parameters.

    `params` holds only what changes the output (temperature, max_tokens, stop, seed...);
    it is part of the cache key. `variables` are the example's fields, for providers that
    call the team's own app with its own request shape.
    """

    messages: tuple[Message, ...]
    params: Mapping[str, Any] = field(default_factory=dict)
    variables: Mapping[str, Any] = field(default_factory=dict)

    @property
    def prompt_text(self) -> str:
        """The messages joined as plain text, for providers that take one string."""
        return "\n\n".join(m.content for m in self.messages)
