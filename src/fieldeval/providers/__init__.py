"""Providers: one small async protocol, one module per kind of candidate.

Only this package speaks HTTP to models. Each provider is imported when first asked for, so
an unused one costs nothing at start-up and a missing optional extra fails only when used.
"""

from __future__ import annotations

from importlib import import_module
from pathlib import Path

from fieldeval.providers.base import Provider
from fieldeval.providers.registry import PROVIDERS, Capabilities, capabilities
from fieldeval.suite.candidates import CandidateBase

__all__ = [
    "PROVIDERS",
    "Capabilities",
    "Provider",
    "capabilities",
    "create_provider",
]


def create_provider(candidate: CandidateBase, *, base_dir: Path) -> Provider:
    """The provider for a candidate. Each module has `from_candidate(candidate, base_dir)`."""
    module = import_module(PROVIDERS[candidate.provider].module)
    provider: Provider = module.from_candidate(candidate, base_dir=base_dir)
    return provider
