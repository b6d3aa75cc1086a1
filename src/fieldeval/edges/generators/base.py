"""What every generator shares: declared options, the call, and the rules on its output.

A generator is written as a Python generator function that yields `Draft`s for one seed
example; `EdgeGenerator` wraps it and enforces, in one place, what the contract promises:

- options are checked against the ones the generator declares (unknown names and bad
  values are a `ConfigError` that names the generator and the option);
- a generator that needs the translator fails clearly when the suite has none;
- a draft identical to the seed (same input, no messages before it) is dropped, and so is
  a draft identical to an earlier one, so variants always differ from the original and
  from each other;
- at most `count` variants come back, indexed 0.., fewer when the seed does not allow that
  many distinct ones (an empty seed often allows none: the result is then `[]`).

Determinism: a generator draws only on the `random.Random` it is given, never on the
global generator, set order or the clock, so (seed example, rng seed, options) fixes the
output.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from fieldeval.edges.variant import GeneratorContext, Variant
from fieldeval.errors import ConfigError
from fieldeval.records.example import Example
from fieldeval.suite.edges import Expectation

# How many drafts a generator may offer per variant asked for before it is taken to have
# run out of distinct variants for this seed.
_ATTEMPTS_PER_VARIANT = 6

Message = Mapping[str, str]


@dataclass(frozen=True)
class Draft:
    """A variant before it is numbered: the new input, what was done, what graders need."""

    input: str
    oracle: Mapping[str, Any] = field(default_factory=dict)
    note: str = ""
    prefix_messages: tuple[Message, ...] = ()


@dataclass(frozen=True)
class Option:
    """One option a generator takes: its default, what it means, and how it is checked.

    `parse` gets the value from the suite and returns it normalised, or raises ValueError
    whose text says what a valid value is.
    """

    name: str
    default: Any
    help: str
    parse: Callable[[Any], Any]


@dataclass(frozen=True)
class Run:
    """Everything one call of a generator sees."""

    seed: Example
    rng: random.Random
    context: GeneratorContext
    options: Mapping[str, Any]  # every declared option, defaults filled in, checked
    count: int

    @property
    def rewrite(self) -> Callable[[str, str], str]:
        """The translator; only generators that declare `needs_model` may rely on it."""
        if self.context.rewrite is None:  # checked before the generator runs
            raise AssertionError("no translator")
        return self.context.rewrite


Make = Callable[[Run], Iterator[Draft]]


class EdgeGenerator:
    """A named generator: its expectation, whether it needs a model, its options."""

    def __init__(
        self,
        name: str,
        expect: Expectation,
        make: Make,
        *,
        needs_model: bool = False,
        options: Sequence[Option] = (),
    ) -> None:
        if not make.__doc__:
            raise TypeError(f"generator {name!r} needs a docstring: it is its description")
        self.name = name
        self.expect: Expectation = expect
        self.needs_model = needs_model
        self.options: Mapping[str, Option] = {option.name: option for option in options}
        self.__doc__ = make.__doc__
        self._make = make

    def __repr__(self) -> str:
        return f"<edge generator {self.name}>"

    @property
    def summary(self) -> str:
        """The first line of the docstring."""
        return (self.__doc__ or "").strip().splitlines()[0]

    def check_options(self, options: Mapping[str, Any]) -> dict[str, Any]:
        """The options with defaults filled in; a ConfigError for unknown or bad ones."""
        unknown = sorted(set(options) - set(self.options))
        if unknown:
            known = ", ".join(self.options) or "none"
            raise ConfigError(
                f"edge generator {self.name!r} has no option {unknown[0]!r}",
                hint=f"its options are: {known}",
            )
        checked: dict[str, Any] = {}
        for name, option in self.options.items():
            value = options.get(name, option.default)
            try:
                checked[name] = option.parse(value)
            except (TypeError, ValueError) as error:
                raise ConfigError(
                    f"edge generator {self.name!r}: option {name!r} is {value!r}: {error}",
                    hint=option.help,
                ) from None
        return checked

    def __call__(
        self, seed: Example, rng: random.Random, context: GeneratorContext, count: int
    ) -> list[Variant]:
        options = self.check_options(context.options)
        if self.needs_model and context.rewrite is None:
            raise ConfigError(
                f"edge generator {self.name!r} needs a model to rewrite text, and the suite"
                " names none",
                hint="set `edges.translator` to the id of a candidate that can translate and"
                " paraphrase, or remove this generator",
            )
        if count < 1:
            return []
        run = Run(seed=seed, rng=rng, context=context, options=options, count=count)
        variants: list[Variant] = []
        seen: set[tuple[str, tuple[tuple[tuple[str, str], ...], ...]]] = {(seed.input, ())}
        drafts = self._make(run)
        for _ in range(count * _ATTEMPTS_PER_VARIANT):
            draft = next(drafts, None)
            if draft is None:
                break
            key = (draft.input, tuple(tuple(m.items()) for m in draft.prefix_messages))
            if key in seen:
                continue
            seen.add(key)
            variants.append(
                Variant(
                    generator=self.name,
                    index=len(variants),
                    original_id=seed.id,
                    input=draft.input,
                    expect=context.expect or self.expect,
                    prefix_messages=tuple(dict(m) for m in draft.prefix_messages),
                    oracle=dict(draft.oracle),
                    note=draft.note,
                )
            )
            if len(variants) == count:
                break
        return variants


# --- option parsers -------------------------------------------------------------------


def number(low: float, high: float) -> Callable[[Any], float]:
    def parse(value: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError("expected a number")
        if not low <= value <= high:
            raise ValueError(f"expected a number from {low} to {high}")
        return float(value)

    return parse


def integer(low: int, high: int) -> Callable[[Any], int]:
    def parse(value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError("expected a whole number")
        if not low <= value <= high:
            raise ValueError(f"expected a whole number from {low} to {high}")
        return value

    return parse


def choices(allowed: Sequence[str]) -> Callable[[Any], tuple[str, ...]]:
    """A non-empty list drawn from `allowed` (a single string is a list of one)."""

    def parse(value: Any) -> tuple[str, ...]:
        items = [value] if isinstance(value, str) else value
        if not isinstance(items, list | tuple) or not items:
            raise ValueError(f"expected a non-empty list of: {', '.join(allowed)}")
        bad = [item for item in items if item not in allowed]
        if bad:
            raise ValueError(f"{bad[0]!r} is not one of: {', '.join(allowed)}")
        return tuple(dict.fromkeys(items))  # unique, in the order given

    return parse


def one_of(allowed: Sequence[str]) -> Callable[[Any], str]:
    def parse(value: Any) -> str:
        if value not in allowed:
            raise ValueError(f"expected one of: {', '.join(allowed)}")
        return str(value)

    return parse


def optional_text(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    raise ValueError("expected text")


def cycle(items: Sequence[str], rng: random.Random) -> Iterator[str]:
    """The items in an order drawn from `rng`, then again, forever (for variant i)."""
    order = list(items)
    rng.shuffle(order)
    while True:
        yield from order
