"""A dry run's estimate as a terminal table: calls, tokens and cost per model, then totals."""

from __future__ import annotations

import math
from datetime import UTC, datetime

from rich.console import Console
from rich.table import Table
from rich.text import Text

from fieldeval.cost.estimate import CallEstimate, RunEstimate
from fieldeval.providers.price_table import table_age_days, table_as_of

NO_PRICE = "no price: set `price:` in the suite"


def render_estimate(estimate: RunEstimate, console: Console) -> None:
    """One row per candidate (and the judge), a total, and what the numbers rest on."""
    table = Table(
        title=f"dry run of {estimate.suite_name!r}: {_examples(estimate)}, no model called",
        title_justify="left",
    )
    for header in ("model", "calls", "cached (free)", "to make"):
        table.add_column(header, justify="left" if header == "model" else "right")
    for header in ("input tokens", "output tokens", "cost", "price"):
        table.add_column(header, justify="right" if header != "price" else "left")
    for row in estimate.rows:
        table.add_row(
            _name(row),
            f"{row.calls:,}",
            f"{row.cached:,}",
            f"{row.to_make:,}",
            Text(input_tokens(row)),
            Text(output_tokens(row)),
            Text(cost(row)),
            Text(_source(row)),
        )
    calls = sum(row.calls for row in estimate.rows)
    cached = sum(row.cached for row in estimate.rows)
    table.add_section()
    table.add_row(
        "total", f"{calls:,}", f"{cached:,}", f"{calls - cached:,}", "", "", total(estimate), ""
    )
    console.print(table)
    for note in notes(estimate):
        console.print(Text(note), soft_wrap=True)


def input_tokens(row: CallEstimate) -> str:
    if row.to_make == 0:
        return "0"
    if not row.input_estimated:
        return f"{row.input_tokens:,} exact"
    if row.input_exact == 0:
        return f"~{row.input_tokens:,} est."
    return f"~{row.input_tokens:,} ({row.input_exact} of {row.to_make} exact)"


def output_tokens(row: CallEstimate) -> str:
    if row.to_make == 0:
        return "0"
    if row.output_tokens is None:
        return "unknown"
    if row.output_basis == "run":
        return f"~{row.output_tokens:,} run mean"
    return f"≤ {row.output_tokens:,}"


def cost(row: CallEstimate) -> str:
    if row.to_make == 0:
        return dollars(0.0)
    if row.price is None:
        return "no price"
    if row.cost_usd is None:
        return "unknown"
    bound = "≤ " if row.output_basis == "max_tokens" else "~"
    return bound + dollars(row.cost_usd)


def total(estimate: RunEstimate) -> str:
    """The priced part, `≤` when it is an upper bound, and `+ ?` when some cost is unknown."""
    if not any(row.to_make for row in estimate.rows):
        return dollars(0.0)
    making = [row for row in estimate.rows if row.to_make]
    if all(row.cost_usd is None for row in making):
        return "unknown"  # not "$0 + ?": nothing about the cost is known
    upper = any(row.output_basis == "max_tokens" for row in making)
    text = ("≤ " if upper else "~") + dollars(estimate.cost_usd)
    return text if estimate.cost_complete else f"{text} + ?"


def dollars(value: float) -> str:
    """Cents from a dollar up; below, at least four decimals and two significant digits."""
    if value <= 0:
        return "$0"
    if value >= 1:
        return f"${value:,.2f}"
    places = max(4, 1 - math.floor(math.log10(value)))
    return f"${value:.{places}f}"


def notes(estimate: RunEstimate) -> list[str]:
    """What each kind of figure rests on, said once under the table."""
    rows = [row for row in estimate.rows if row.to_make]
    found = [f"warning: {warning}" for warning in estimate.warnings]
    if any(row.input_estimated for row in rows):
        found.append(
            "input tokens marked est. are the prompt's characters / 4; exact ones come from "
            "an earlier answer to the same prompt"
        )
    runs = sorted({row.output_run for row in rows if row.output_run is not None})
    if runs:
        found.append(
            f"run mean: output tokens per call as in run {', '.join(runs)}, the suite's latest "
            "finished run"
        )
    if any(row.output_basis == "max_tokens" for row in rows):
        found.append("≤: output tokens at max_tokens on every call, an upper bound")
    if any(row.output_basis == "unknown" for row in rows):
        found.append(
            "output tokens unknown: no finished run of this suite and no max_tokens in params"
        )
    for row in rows:
        if row.price is None:
            found.append(f"{row.name}: {NO_PRICE}")
    unknown = [row.name for row in rows if row.cost_usd is None]
    if unknown and len(unknown) == len(rows):
        found.append(f"total unknown: no cost is known for {', '.join(unknown)}")
    elif unknown:
        found.append(f"+ ?: the total leaves out {', '.join(unknown)}, whose cost is unknown")
    if estimate.judge is not None:
        found.append(
            "judge: rough, one call per judged criterion per output, none taken as cached "
            "(a question the judge was asked before costs nothing)"
        )
    if any(row.price is not None and row.price.source == "table" for row in rows):
        age = table_age_days(datetime.now(UTC).date())
        found.append(
            f"bundled prices are of {table_as_of().isoformat()} ({age} days old): vendors "
            "change them; set `price:` in the suite to be sure"
        )
    return found


def _name(row: CallEstimate) -> str:
    return row.name if row.role == "candidate" or row.name == "judge" else f"{row.name} (judge)"


def _source(row: CallEstimate) -> str:
    """Where the price comes from; the table's date is said once, under the table."""
    if row.price is None:
        return "–"
    return "suite" if row.price.source == "suite" else f"table: {row.price.model}"


def _examples(estimate: RunEstimate) -> str:
    noun = "example" if estimate.examples == 1 else "examples"
    text = f"{estimate.examples} {noun}"
    return text if estimate.repeats == 1 else f"{text} × {estimate.repeats} repeats"
