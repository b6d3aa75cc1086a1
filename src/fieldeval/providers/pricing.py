"""What one model call cost, in US dollars, from its token usage and the candidate's price.

Token counts follow OpenAI's convention, which every provider here reports in:

- `input_tokens` counts every prompt token, the cached ones included; the
  `cached_input_tokens` among them are billed at `cached_input_per_mtok` (or the input
  price when that is not set).
- `output_tokens` counts every generated token, the reasoning ones included; the
  `reasoning_tokens` among them are billed at `reasoning_per_mtok` (or the output price),
  the rest at `output_per_mtok`. Nothing is counted twice.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from fieldeval.records.completion import Usage
from fieldeval.suite.candidates import Price

if TYPE_CHECKING:
    from fieldeval.records.run import StoredOutput

_PER_MTOK = 1e-6


def call_cost(usage: Usage, price: Price | None) -> float | None:
    """The call's cost; None without a price, or when a count the price needs is missing."""
    if price is None:
        return None
    if (usage.input_tokens is None and _charges_input(price)) or (
        usage.output_tokens is None and _charges_output(price)
    ):
        return None  # an unknown count at a non-zero price: any number would be made up
    input_tokens = usage.input_tokens or 0
    output_tokens = usage.output_tokens or 0
    # A server that reports more cached (or reasoning) tokens than in all is not believed.
    cached = min(usage.cached_input_tokens or 0, input_tokens)
    reasoning = min(usage.reasoning_tokens or 0, output_tokens)
    cached_rate = (
        price.cached_input_per_mtok
        if price.cached_input_per_mtok is not None
        else price.input_per_mtok
    )
    reasoning_rate = (
        price.reasoning_per_mtok if price.reasoning_per_mtok is not None else price.output_per_mtok
    )
    dollars_per_mtok = (
        (input_tokens - cached) * price.input_per_mtok
        + cached * cached_rate
        + (output_tokens - reasoning) * price.output_per_mtok
        + reasoning * reasoning_rate
    )
    return dollars_per_mtok * _PER_MTOK + price.per_call


def usage_of(output: StoredOutput) -> Usage:
    """A stored output's usage, as the provider reported (or estimated) it."""
    return Usage(
        input_tokens=output.input_tokens,
        output_tokens=output.output_tokens,
        cached_input_tokens=output.cached_input_tokens,
        reasoning_tokens=output.reasoning_tokens,
        estimated=output.usage_estimated,
    )


def _charges_input(price: Price) -> bool:
    return price.input_per_mtok > 0 or bool(price.cached_input_per_mtok)


def _charges_output(price: Price) -> bool:
    return price.output_per_mtok > 0 or bool(price.reasoning_per_mtok)
