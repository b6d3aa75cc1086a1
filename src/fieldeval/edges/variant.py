"""A variant of a real example and what a generator needs to make one.

CONTRACT shared by the generators, the expansion of a dataset and the oracles.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from fieldeval.records.example import Example
from fieldeval.suite.edges import Expectation


@dataclass(frozen=True)
class Variant:
    """One edge case: the new input, its clean original, and what a good reply does."""

    generator: str
    index: int  # 0.. per (seed example, generator)
    original_id: str
    input: str  # the text put in the example's input field
    expect: Expectation
    # Messages sent before the prompt: a system prompt holding a secret, earlier turns.
    prefix_messages: tuple[Mapping[str, str], ...] = ()
    # What the oracles need: "canary", "secret", "language", "key_fact", "position", ...
    oracle: Mapping[str, Any] = field(default_factory=dict)
    note: str = ""  # what was done, in a few words, for reports

    @property
    def id(self) -> str:
        return f"{self.original_id}~{self.generator}~{self.index}"


@dataclass(frozen=True)
class GeneratorContext:
    """What a generator may draw on besides the seed example."""

    task: str  # the task statement
    scope: str  # what is in scope
    others: Sequence[Example]  # the other real examples: padding, a second request
    reply_language: str
    other_language: str
    options: Mapping[str, Any]  # the generator's own options from the suite
    # (text, instruction) -> rewritten text, by the suite's translator; None without one.
    rewrite: Callable[[str, str], str] | None = None
    # The rule long conversations must hold (`edges.persona`); None: derived from the task.
    persona: str | None = None
    # What a good reply does, when the task's kind or the suite overrides the generator's own.
    expect: Expectation | None = None


class Generator(Protocol):
    name: str
    expect: Expectation
    needs_model: bool  # uses `context.rewrite`

    def __call__(
        self, seed: Example, rng: random.Random, context: GeneratorContext, count: int
    ) -> list[Variant]: ...
