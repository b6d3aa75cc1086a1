"""Every provider by name: what builds it and what it can do, built-in or from a plugin.

The rest of fieldeval asks here (`capabilities(candidate.provider)`) instead of testing a
provider's name, so a provider's particulars stay in this package. Plugins add entries
through the `fieldeval.providers` entry-point group (docs/plugins.md).
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from fieldeval.suite.plugins import provider_plugins

if TYPE_CHECKING:
    from fieldeval.providers.base import Provider
    from fieldeval.records.request import ModelRequest
    from fieldeval.suite.candidates import CandidateBase


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
    module: str | None  # a built-in's module, with `from_candidate(candidate, base_dir)`
    capabilities: Capabilities = Capabilities()
    plugin: Any = None  # a plugin's object: `from_candidate`, and optionally `check`

    def create(self, candidate: CandidateBase, *, base_dir: Path) -> Provider:
        """The provider for `candidate`; a built-in's module is imported only now."""
        provider: Provider = self._source().from_candidate(candidate, base_dir=base_dir)
        return provider

    def check(
        self,
        candidate: CandidateBase,
        *,
        base_dir: Path,
        example_ids: Collection[str] | None = None,
    ) -> tuple[str, ...]:
        """What `validate` looks at for this kind without calling it, through its module's
        `check(candidate, base_dir)` where it has one: raises for what a run could not get
        past (a recorded file that does not read), returns warnings for the rest (a key
        variable not set in this shell)."""
        check = getattr(self._source(), "check", None)
        if not callable(check):
            return ()
        # A kind that matches outputs to examples (recorded) is also given their ids.
        if example_ids is not None and "example_ids" in inspect.signature(check).parameters:
            found = check(candidate, base_dir=base_dir, example_ids=example_ids)
        else:
            found = check(candidate, base_dir=base_dir)
        return tuple(str(warning) for warning in found or ())

    def server_key(self, candidate: CandidateBase, *, base_dir: Path) -> tuple[str, ...] | None:
        """What identifies the one server that answers this candidate, through its module's
        `server_key(candidate, base_dir)` where it has one; None where it is not known."""
        key = getattr(self._source(), "server_key", None)
        return tuple(key(candidate, base_dir=base_dir)) if callable(key) else None

    def render_requests(self, candidate: CandidateBase, requests: Iterable[ModelRequest]) -> None:
        """Render what this kind builds from each request itself (an HTTP app's body
        template), through its module's `render_requests(candidate, requests)` where it has
        one, so a template that fails raises `TemplateFailed` before any call is made."""
        render = getattr(self._source(), "render_requests", None)
        if callable(render):
            render(candidate, requests)

    def _source(self) -> Any:
        """The plugin's object, or the built-in's module, imported now."""
        if self.module is None:
            return self.plugin
        from importlib import import_module

        return import_module(self.module)


ANTHROPIC_MAX_TOKENS = 1024  # the API requires max_tokens; suites rarely mean to cap it

BUILT_IN = MappingProxyType(
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


@functools.cache
def providers() -> Mapping[str, ProviderEntry]:
    """Every provider by name: the built-in ones, then those installed plugins add."""
    found = dict(BUILT_IN)
    for plugin in provider_plugins():
        declared = getattr(plugin.value, "capabilities", Capabilities())
        if not isinstance(declared, Capabilities):
            declared = Capabilities()
        found[plugin.name] = ProviderEntry(None, declared, plugin.value)
    return MappingProxyType(found)


def capabilities(provider: str) -> Capabilities:
    """What the provider named in a candidate's `provider:` can do."""
    return providers()[provider].capabilities
