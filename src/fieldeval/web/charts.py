"""Interval charts as plain data the pages draw in SVG: a point, its 95% interval, its numbers.

The geometry is computed here, so a template only places shapes, and every number drawn
also sits on the chart as text: nothing needs hovering to be read. SVG keeps the pages
under their strict content security policy (plotly.js needs inline styles it forbids).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

WIDTH = 900.0
LABEL_WIDTH = 170.0  # the row labels, left of the plot
TEXT_WIDTH = 330.0  # the numbers, right of the plot
ROW_HEIGHT = 26.0
TOP = 8.0
AXIS_HEIGHT = 26.0


@dataclass(frozen=True)
class ChartRow:
    label: str
    value: float | None
    low: float | None
    high: float | None
    text: str  # the numbers, as written next to the row


def interval_chart(
    title: str, rows: list[ChartRow], *, percent: bool = False, unit: str = ""
) -> dict[str, Any]:
    """A chart of one row per estimate on a shared axis from 0 (to 100% for `percent`)."""
    values = [v for row in rows for v in (row.value, row.low, row.high) if v is not None]
    top = 1.0 if percent else _nice(max(values, default=1.0))
    plot = WIDTH - LABEL_WIDTH - TEXT_WIDTH

    def x(value: float | None) -> float | None:
        if value is None:
            return None
        return round(LABEL_WIDTH + plot * min(max(value / top, 0.0), 1.0), 2)

    height = TOP + ROW_HEIGHT * len(rows) + AXIS_HEIGHT
    axis_y = TOP + ROW_HEIGHT * len(rows)
    ticks = [top * i / 4 for i in range(5)]
    return {
        "title": title,
        "width": WIDTH,
        "height": round(height, 2),
        "plot_left": LABEL_WIDTH,
        "plot_right": LABEL_WIDTH + plot,
        "axis_y": axis_y,
        "ticks": [
            {"x": x(t), "label": f"{100 * t:.0f}%" if percent else f"{_short(t)}{unit}"}
            for t in ticks
        ],
        "rows": [
            {
                "label": row.label,
                "y": round(TOP + ROW_HEIGHT * (i + 0.5), 2),
                "x": x(row.value),
                "x_low": x(row.low if row.low is not None else row.value),
                "x_high": x(row.high if row.high is not None else row.value),
                "open_low": row.value is not None and row.low is None,
                "open_high": row.value is not None and row.high is None,
                "text": row.text,
                "text_x": LABEL_WIDTH + plot + 8,
            }
            for i, row in enumerate(rows)
        ],
    }


def _nice(value: float) -> float:
    """The smallest of 1, 2, 2.5, 5 × 10^k at or above `value` (an axis end)."""
    if value <= 0:
        return 1.0
    power = 10.0 ** math.floor(math.log10(value))
    return next(step * power for step in (1.0, 2.0, 2.5, 5.0, 10.0) if step * power >= value)


def _short(value: float) -> str:
    return f"{value:,.0f}" if value >= 10 or value == 0 else f"{value:.3g}"
