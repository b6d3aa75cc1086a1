"""A load test as one self-contained HTML page of plotly charts that opens offline.

Every number a chart shows is also written on it, so nothing needs hovering to be read.
Text from the suite is escaped: plotly reads a few HTML tags in titles and labels.
"""

from __future__ import annotations

from html import escape
from pathlib import Path
from typing import Any

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from fieldeval.files import write_atomically
from fieldeval.load.metrics import Distribution, ttft_ms
from fieldeval.load.session import LoadResult
from fieldeval.load.verdict import by_load, verdict

_QUANTILES = (("p50", "dot"), ("p95", "solid"), ("p99", "dash"))
_COLOURS = {"p50": "#4c78a8", "p95": "#f58518", "p99": "#e45756"}
_TITLES = (
    "TTFT (ms) by load",
    "End-to-end latency (ms) by load",
    "Requests per second by load",
    "Output tokens per second by load",
    "TTFT (ms) of each request, by load",
)


def write_load_html(result: LoadResult, path: Path) -> None:
    """Write the page to `path`, replacing it whole (never a half-written file)."""
    write_atomically(path, load_html(result))


def load_html(result: LoadResult) -> str:
    """The page: a heading, the verdict, and the charts with plotly.js inline."""
    info = result.info
    heading = f"Load test of {info.candidate_id} on {info.suite_name}"
    sentence = verdict(result.sweep) if result.sweep.levels else ""
    charts = _figure(result).to_html(include_plotlyjs=True, full_html=False)
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{escape(heading)}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2rem; color: #222; }}
p {{ max-width: 70rem; }}
</style>
</head>
<body>
<h1>{escape(heading)}</h1>
<p>{escape(sentence)}</p>
<p>load run {escape(info.id)}, started {info.started_at:%Y-%m-%d %H:%M} UTC, status
{escape(info.status)}; latencies over each level's steady window.</p>
{charts}
</body>
</html>
"""


def _figure(result: LoadResult) -> go.Figure:
    # By load, not in the order run: refining levels fall between the sweep's own.
    runs = sorted(result.runs, key=lambda run: run.level.load)
    levels = by_load(result)
    labels = [escape(m.label) for m in levels]
    figure = make_subplots(
        rows=3,
        cols=2,
        specs=[[{}, {}], [{}, {}], [{"colspan": 2}, None]],
        subplot_titles=_TITLES,
        vertical_spacing=0.09,
    )
    targets = result.spec.targets
    _percentile_lines(figure, labels, [m.ttft for m in levels], row=1, col=1)
    _target_line(figure, targets.ttft_p95_ms, "TTFT p95 target", row=1, col=1)
    _percentile_lines(figure, labels, [m.e2e for m in levels], row=1, col=2)
    _target_line(figure, targets.e2e_p95_ms, "E2E p95 target", row=1, col=2)
    _bars(figure, labels, "completed", [m.request_throughput for m in levels], "#4c78a8", 2, 1)
    _bars(figure, labels, "good (goodput)", [m.goodput for m in levels], "#54a24b", 2, 1)
    _bars(
        figure,
        labels,
        "output tokens",
        [m.output_token_throughput for m in levels],
        "#b279a2",
        2,
        2,
    )
    for run, label in zip(runs, labels, strict=True):
        values = [
            value
            for record in run.records
            if record.phase == "steady" and record.ok and (value := ttft_ms(record)) is not None
        ]
        figure.add_trace(
            go.Box(y=values, name=label, boxpoints="outliers", showlegend=False), row=3, col=1
        )
    if result.sweep.knee is not None:
        _mark_knee(figure, escape(result.sweep.knee.label))
    figure.update_xaxes(type="category", categoryorder="array", categoryarray=labels)
    figure.update_yaxes(rangemode="tozero")
    figure.update_layout(
        title=escape(f"{result.info.candidate_id} under load ({result.info.suite_name})"),
        height=1200,
        barmode="group",
        legend={"orientation": "h", "y": -0.05},
        margin={"t": 90},
    )
    return figure


def _percentile_lines(
    figure: go.Figure, labels: list[str], values: list[Distribution], *, row: int, col: int
) -> None:
    for quantile, dash in _QUANTILES:
        ys = [getattr(distribution, quantile) for distribution in values]
        figure.add_trace(
            go.Scatter(
                x=labels,
                y=ys,
                name=f"{'TTFT' if col == 1 else 'E2E'} {quantile}",
                mode="lines+markers+text",
                text=[_label(y) for y in ys],
                textposition="top center",
                line={"dash": dash, "color": _COLOURS[quantile]},
            ),
            row=row,
            col=col,
        )


def _bars(
    figure: go.Figure,
    labels: list[str],
    name: str,
    values: list[float],
    colour: str,
    row: int,
    col: int,
) -> None:
    figure.add_trace(
        go.Bar(
            x=labels,
            y=values,
            name=name,
            marker_color=colour,
            text=[f"{value:.3g}" for value in values],
            textposition="outside",
        ),
        row=row,
        col=col,
    )


def _target_line(figure: go.Figure, limit: float | None, text: str, *, row: int, col: int) -> None:
    if limit is not None:
        figure.add_hline(
            y=limit,
            line={"dash": "dot", "color": "#888"},
            annotation_text=f"{text} {limit:g} ms",
            annotation_position="top left",
            row=row,
            col=col,
        )


def _mark_knee(figure: go.Figure, knee: str) -> None:
    """A dotted line at the level where a target first broke, on every chart by load."""
    for axis in ("", "2", "3", "4", "5"):
        shape: dict[str, Any] = {
            "type": "line",
            "xref": f"x{axis}",
            "yref": f"y{axis} domain",
            "x0": knee,
            "x1": knee,
            "y0": 0,
            "y1": 1,
            "line": {"color": "#e45756", "width": 2, "dash": "dot"},
        }
        figure.add_shape(shape)
        figure.add_annotation(
            xref=f"x{axis}",
            yref=f"y{axis} domain",
            x=knee,
            y=1,
            text="targets break",
            showarrow=False,
            yanchor="bottom",
            font={"color": "#e45756"},
        )


def _label(value: float | None) -> str:
    return "" if value is None else f"{value:.0f}"
