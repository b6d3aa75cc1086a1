"""How numbers and untrusted text are written in every report: one place, one convention."""

from __future__ import annotations

import math


def percent(value: float | None) -> str:
    """A rate as a whole percentage, "–" when there is none."""
    return "–" if value is None else f"{100 * value:.0f}%"


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
        return _minus(f"${value:.4f}")
    # Counts and times to one decimal below 10, with no ".0" on whole numbers.
    text = f"{value:.0f}" if abs(value) >= 10 else f"{value:.1f}".removesuffix(".0")
    return _minus(f"{text} {unit}".rstrip())


def signed(value: float, unit: str = "") -> str:
    """A difference of measured values, always signed."""
    text = number(abs(value), unit)
    return ("+" if value >= 0 else "−") + text


def truncate(text: str, limit: int) -> str:
    """At most `limit` characters on one line, an ellipsis marking the cut."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def _minus(text: str) -> str:
    return text.replace("-", "−")  # a true minus sign lines up with "+" in a column
