"""Every edge generator by name, and a description of each for `fieldeval edges list`."""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from types import MappingProxyType

from fieldeval.edges.generators import (
    conversation,
    injection,
    language,
    layout,
    length,
    noise,
    scope,
)
from fieldeval.edges.generators.base import EdgeGenerator
from fieldeval.edges.variant import Generator
from fieldeval.errors import ConfigError
from fieldeval.suite.edges import Expectation

# In catalogue order: surface noise, layout, language, length, scope and tone, injection,
# conversation.
_ALL: tuple[EdgeGenerator, ...] = (
    noise.TYPOS,
    noise.OCR_NOISE,
    noise.CASE_UNICODE,
    layout.BAD_SCAN,
    language.WRONG_LANGUAGE,
    language.MIXED_LANGUAGE,
    language.PARAPHRASE,
    length.VERY_SHORT,
    length.TRUNCATED,
    length.LONG_PADDING,
    scope.HOSTILE,
    scope.OUT_OF_SCOPE,
    scope.MISSING_EVIDENCE,
    conversation.CHANGED_QUESTION,
    conversation.TWO_REQUESTS,
    injection.INJECTION,
    injection.SECRET_EXTRACTION,
    conversation.LONG_CONVERSATION,
)

GENERATORS: Mapping[str, Generator] = MappingProxyType({g.name: g for g in _ALL})


def generator(name: str) -> Generator:
    """The generator called `name`; a ConfigError listing the names if there is none."""
    found = GENERATORS.get(name)
    if found is None:
        guesses = difflib.get_close_matches(name, list(GENERATORS), n=1)
        guess = f"did you mean {guesses[0]!r}? " if guesses else ""
        raise ConfigError(
            f"there is no edge generator {name!r}",
            hint=f"{guess}the generators are: {', '.join(GENERATORS)}",
        )
    return found


def describe() -> list[tuple[str, Expectation, bool, str]]:
    """(name, expectation, needs a model, one-line description) for every generator."""
    return [(g.name, g.expect, g.needs_model, g.summary) for g in _ALL]


def options(name: str) -> list[tuple[str, object, str]]:
    """(option, default, meaning) for each option the generator `name` takes."""
    found = generator(name)
    declared = found.options if isinstance(found, EdgeGenerator) else {}
    return [(o.name, o.default, o.help) for o in declared.values()]
