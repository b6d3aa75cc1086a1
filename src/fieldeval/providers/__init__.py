"""Providers: one small async protocol, one module per kind of candidate.

Only this package speaks HTTP to models. Each provider is imported when first asked for, so
an unused one costs nothing at start-up and a missing optional extra fails only when used.
"""

from __future__ import annotations

from importlib import import_module
from pathlib import Path

from fieldeval.providers.base import Completion, Message, ModelRequest, Provider, Usage
from fieldeval.suite.schema import CandidateBase

__all__ = ["Completion", "Message", "ModelRequest", "Provider", "Usage", "create_provider"]

_MODULES = {
    "openai": "fieldeval.providers.openai",
    "anthropic": "fieldeval.providers.anthropic",
    "local": "fieldeval.providers.local",
    "http": "fieldeval.providers.http_app",
    "python": "fieldeval.providers.python_function",
    "command": "fieldeval.providers.command",
    "recorded": "fieldeval.providers.recorded",
}


def create_provider(candidate: CandidateBase, *, base_dir: Path) -> Provider:
    """The provider for a candidate. Each module has `from_candidate(candidate, base_dir)`."""
    module = import_module(_MODULES[candidate.provider])
    provider: Provider = module.from_candidate(candidate, base_dir=base_dir)
    return provider
