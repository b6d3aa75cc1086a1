"""How numbers, amounts of money and untrusted text are written everywhere: one convention.

Rates as whole percentages, differences in signed points, measured values with their unit,
money to a few significant figures (no false precision), and a true minus sign throughout.
"""

from __future__ import annotations

import math


def percent(value: float | None) -> str:
    """A rate as a whole percentage, "–" when there is none."""
    return "–" if value is None else f"{100 * value:.0f}%"


def percent_up(value: float | None) -> str:
    """An upper bound as a whole percentage, rounded up: it never claims less than it allows."""
    # The 1e-9 keeps a bound of exactly 12% from printing as 13% after float error.
    return "–" if value is None else f"{math.ceil(100 * value - 1e-9):.0f}%"


def points_up(value: float) -> str:
    """A smallest detectable difference in whole points, rounded up: rounded down it would
    promise more than the examples can show."""
    return str(math.ceil(100 * value - 1e-9))


def points(value: float) -> str:
    """A difference of two rates in percentage points, always signed."""
    return _minus(f"{100 * value:+.0f}")


def points_interval(difference: float, low: float, high: float) -> str:
    """`+12 [−3, +27]`: a difference and its interval, in points."""
    return f"{points(difference)} [{points(low)}, {points(high)}]"


def p_value(p: float) -> str:
    """Two significant digits, and no false precision below 0.001."""
    if math.isnan(p):
        return "–"
    return "<0.001" if p < 0.001 else f"{p:.2g}" if p < 0.1 else f"{p:.2f}"


def number(value: float | None, unit: str = "") -> str:
    """A measured value with its unit; latencies in seconds once they pass 10 s."""
    if value is None or math.isnan(value):
        return "–"
    if unit == "ms" and abs(value) >= 10_000:
        return _minus(f"{value / 1000:.1f} s")
    if unit == "$":
        # Significant figures: a call that costs $0.000016 is not "$0.0000".
        return dollars(value, figures=2)
    # Counts and times to one decimal below 10, with no ".0" on whole numbers.
    text = f"{value:.0f}" if abs(value) >= 10 else f"{value:.1f}".removesuffix(".0")
    return _minus(f"{text} {unit}".rstrip())


def signed(value: float, unit: str = "") -> str:
    """A difference of measured values, always signed."""
    text = number(abs(value), unit)
    return ("+" if value >= 0 else "−") + text


def duration(ms: float | None) -> str:
    """A latency for a sentence: `812 ms`, `2.3 s`."""
    if ms is None:
        return "–"
    return number(ms, "ms") if ms < 1000 else number(ms / 1000, "s")


# Characters that reorder or hide the text around them (the "Trojan Source" controls):
# shown as their code points, as code review tools do, so an output cannot disguise itself.
_INVISIBLE = {
    chr(code): f"⟨U+{code:04X}⟩"
    for code in (0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A))
}
_INVISIBLE_TABLE = str.maketrans(_INVISIBLE)


def visible_controls(text: str) -> str:
    """`text` with every bidirectional control written as ⟨U+XXXX⟩ instead of applied."""
    return text.translate(_INVISIBLE_TABLE)


def shown_as_text(value: object) -> object:
    """A template's `finalize`: strings get their bidi controls made visible, others pass.

    Markup stays markup: the replacement adds no character HTML reads.
    """
    if not isinstance(value, str):
        return value
    visible = visible_controls(value)
    return value.__class__(visible) if visible != value else value


def truncate(text: str, limit: int) -> str:
    """At most `limit` characters on one line, an ellipsis marking the cut."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def dollars(value: float, *, signed: bool = False, figures: int = 2) -> str:
    """`$4,100`, `$12`, `$1.5`, `$0.0042`; with `signed`, `+$4,100` or `−$1,200`."""
    if not math.isfinite(value):
        return "∞" if value > 0 else "–"
    sign = ("+" if value >= 0 else "−") if signed else ("−" if value < 0 else "")
    return f"{sign}${significant(abs(value), figures)}"


def ratio(value: float) -> str:
    """A cost ratio to two significant figures: `3.1x`, `0.3x`, `12x`, `1,500x`."""
    if not math.isfinite(value):
        return "∞x"
    text = significant(value)
    # A ratio reads better bare (0.3x); an amount keeps its zeros ($0.30).
    return (text.rstrip("0").rstrip(".") if "." in text else text) + "x"


def significant(value: float, figures: int = 2) -> str:
    """A non-negative number rounded to `figures` significant figures, thousands separated."""
    if value == 0:
        return "0"
    digits = figures - 1 - math.floor(math.log10(value))
    rounded = round(value, digits)
    if rounded and math.floor(math.log10(rounded)) > math.floor(math.log10(value)):
        digits -= 1  # rounding carried into a new digit (0.0999 -> 0.10): one fewer decimal
    return f"{rounded:,.{max(digits, 0)}f}"


def _minus(text: str) -> str:
    return text.replace("-", "−")  # a true minus sign lines up with "+" in a column
