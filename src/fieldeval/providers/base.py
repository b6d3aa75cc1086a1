"""The one protocol every provider speaks, and the request and completion it trades."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from fieldeval.records.completion import Completion
from fieldeval.records.request import ModelRequest


class Provider(Protocol):
    """Answers one request. Raises `ProviderError` on failure; the runner retries."""

    async def complete(self, request: ModelRequest) -> Completion: ...

    async def aclose(self) -> None: ...

    def cache_identity(self) -> Mapping[str, Any]:
        """What, besides the request, decides the answer (provider, model, endpoint)."""
        ...
