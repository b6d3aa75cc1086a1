"""Every provider by name: the module that builds it and what it can do.

The rest of fieldeval asks here (`capabilities(candidate)`) instead of testing a
provider's name, so a provider's particulars stay in this package.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType


@dataclass(frozen=True)
class Capabilities:
    """What a kind of candidate does that callers adapt to."""

    # Takes OpenAI's `response_format` with a JSON schema (the judge asks for its answer so).
    structured_output: bool = False
    # Its grammar honours `maxLength` and `maxItems`, so a bounded schema closes in time.
    bounded_schema: bool = False
    # Sizes its own server's capacity (llama.cpp's slots): a load test leaves its pool alone.
    own_capacity: bool = False
    # What it sends as `max_tokens` when the suite sets none (None: the server decides).
    default_max_tokens: int | None = None


@dataclass(frozen=True)
class ProviderEntry:
    module: str  # has `from_candidate(candidate, base_dir)`
    capabilities: Capabilities = Capabilities()


ANTHROPIC_MAX_TOKENS = 1024  # the API requires max_tokens; suites rarely mean to cap it

PROVIDERS = MappingProxyType(
    {
        "openai": ProviderEntry("fieldeval.providers.openai", Capabilities(structured_output=True)),
        "anthropic": ProviderEntry(
            "fieldeval.providers.anthropic", Capabilities(default_max_tokens=ANTHROPIC_MAX_TOKENS)
        ),
        "local": ProviderEntry(
            "fieldeval.providers.local",
            Capabilities(structured_output=True, bounded_schema=True, own_capacity=True),
        ),
        "http": ProviderEntry("fieldeval.providers.http_app"),
        "python": ProviderEntry("fieldeval.providers.python_function"),
        "command": ProviderEntry("fieldeval.providers.command"),
        "recorded": ProviderEntry("fieldeval.providers.recorded"),
    }
)


def capabilities(provider: str) -> Capabilities:
    """What the provider named in a candidate's `provider:` can do."""
    return PROVIDERS[provider].capabilities
