"""Plugins: candidate kinds and checks that other installed packages add.

A package adds them through entry points (see docs/plugins.md):

    [project.entry-points."fieldeval.providers"]
    echo = "fieldeval_echo:provider"     # .spec, .from_candidate, optional .capabilities

    [project.entry-points."fieldeval.checks"]
    shouting = "fieldeval_echo:check"    # .spec, .compile

The entry point's name is the `provider:` or check type it answers to. Each is loaded once,
when the suite schema is first built; one that fails to load or breaks these rules stops
with an error naming the entry point and the package that installed it.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from importlib.metadata import EntryPoint, entry_points
from typing import Any

from fieldeval.errors import ConfigError
from fieldeval.suite.candidates import CandidateBase, discriminator
from fieldeval.suite.checks import CheckBase

PROVIDER_GROUP = "fieldeval.providers"
CHECK_GROUP = "fieldeval.checks"


@dataclass(frozen=True)
class Plugin:
    name: str  # the `provider:` value or check type
    origin: str  # "module:attr from package-version", for messages
    value: Any  # the loaded object: a module or any object with the attributes above


@functools.cache
def provider_plugins() -> tuple[Plugin, ...]:
    """Installed candidate kinds, each with `.spec` and `.from_candidate(candidate, base_dir)`."""
    return tuple(
        _checked(plugin, CandidateBase, "provider", "from_candidate")
        for plugin in _load(PROVIDER_GROUP)
    )


@functools.cache
def check_plugins() -> tuple[Plugin, ...]:
    """Installed checks, each with `.spec` and `.compile(spec, check_id, only, base_dir)`."""
    return tuple(_checked(plugin, CheckBase, "type", "compile") for plugin in _load(CHECK_GROUP))


def _load(group: str) -> list[Plugin]:
    loaded = []
    for point in sorted(entry_points(group=group), key=lambda p: p.name):
        origin = _origin(point)
        try:
            value = point.load()
        except Exception as error:  # a plugin's own bug, of any kind: name it, keep the cause
            raise ConfigError(
                f"plugin {point.name!r} ({origin}) in {group!r} failed to load: "
                f"{type(error).__name__}: {error}",
                hint="fix or uninstall the package that provides it",
            ) from error
        loaded.append(Plugin(point.name, origin, value))
    return loaded


def _checked(plugin: Plugin, base: type[Any], field: str, function: str) -> Plugin:
    spec = getattr(plugin.value, "spec", None)
    where = f"plugin {plugin.name!r} ({plugin.origin})"
    if not (isinstance(spec, type) and issubclass(spec, base)):
        raise ConfigError(f"{where}: `spec` must be a subclass of {base.__name__}")
    try:
        named = discriminator(spec, field)
    except (KeyError, TypeError):
        named = None
    if named != plugin.name:
        raise ConfigError(
            f"{where}: its spec's `{field}` must be Literal[{plugin.name!r}], the entry point's"
            f" name"
        )
    if not callable(getattr(plugin.value, function, None)):
        raise ConfigError(f"{where}: it has no `{function}` function")
    return plugin


def _origin(point: EntryPoint) -> str:
    dist = point.dist
    package = f" from {dist.name} {dist.version}" if dist is not None else ""
    return f"{point.value}{package}"
