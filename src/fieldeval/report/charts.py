"""The decision report's plotly charts, each with its numbers written on it (no hover needed).

Plotly reads a few HTML tags in titles and labels, so every text taken from the suite or the
data is escaped before it goes into a figure.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape

import plotly.graph_objects as go

from fieldeval.cost.pareto import ParetoPoint
from fieldeval.decision.evidence import Decision
from fieldeval.decision.latency import LatencyUnderLoad
from fieldeval.decision.recommendation import pct, usd
from fieldeval.notation import duration
from fieldeval.report.markdown_text import rate_cell
from fieldeval.report.rubric import estimate_text
from fieldeval.stats.intervals import Proportion, Rate

_BLUE, _ORANGE, _RED, _GREEN, _GREY = "#4c78a8", "#f58518", "#e45756", "#54a24b", "#888888"
_TIE_COLOURS = ("#b279a2", "#eeca3b", "#72b7b2", "#9d755d", "#ff9da6")
# Past this ratio between the dearest and the cheapest candidate, a linear axis would
# squeeze the cheap ones into one corner.
_LOG_SPREAD = 10.0
_FONT = {"family": "system-ui, sans-serif", "size": 13}
# Rates stop at 100%: the room to the right of the axis holds the labels, not more scale.
_TICKS = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)


def interval_text(value: float | None, low: float, high: float) -> str:
    return f"{pct(value)} [{pct(low)}–{pct(high)}]"


def quality_chart(decision: Decision) -> go.Figure:
    """Pass rate per candidate, best first, with its 95% Wilson interval and n written on it."""
    ranked = [decision.quality(cid) for cid in decision.recommendation.ranking]
    names = [escape(c.candidate_id) for c in ranked]
    rates = [c.quality for c in ranked]
    values = [rate.value or 0.0 for rate in rates]
    bounded = [
        (rate.low, rate.high) if rate.has_interval else (v, v)
        for rate, v in zip(rates, values, strict=True)
    ]
    figure = go.Figure(
        go.Bar(
            y=names,
            x=values,
            orientation="h",
            marker_color=_BLUE,
            error_x={
                "type": "data",
                "symmetric": False,
                "array": [high - v for (_, high), v in zip(bounded, values, strict=True)],
                "arrayminus": [v - low for (low, _), v in zip(bounded, values, strict=True)],
                "color": "#333",
            },
            hoverinfo="skip",
            showlegend=False,
        )
    )
    figure.add_trace(
        go.Scatter(
            y=names,
            x=[high for _, high in bounded],
            mode="text",
            text=[rate_cell(rate) for rate in rates],
            textposition="middle right",
            hoverinfo="skip",
            showlegend=False,
        )
    )
    figure.update_xaxes(
        range=[0, 1.45], tickvals=_TICKS, tickformat=".0%", title="pass rate [95% Wilson interval]"
    )
    figure.update_yaxes(autorange="reversed", type="category")
    return _layout(figure, "Pass rate per candidate", height=120 + 45 * len(ranked))


def _share(rate: Proportion) -> str:
    """`3 (8%)` on a bar; with repeats only the share, which is no count of outputs."""
    return f"{rate.k} ({pct(rate.value)})" if isinstance(rate, Rate) else pct(rate.value)


def _count(rate: Proportion) -> str:
    return rate.counted if isinstance(rate, Rate) else f"{pct(rate.value)} {rate.counted}"


def failure_chart(decision: Decision) -> go.Figure | None:
    """Per candidate, the share of outputs by their worst failure: graceful, serious, critical."""
    if decision.failures is None or not decision.failures.candidates:
        return None
    found = decision.failures.candidates
    names = [escape(c.candidate_id) for c in found]
    figure = go.Figure()
    for label, colour, rates in (
        ("graceful (cosmetic, minor)", _GREEN, [c.graceful for c in found]),
        ("serious (major)", _ORANGE, [c.serious for c in found]),
        ("catastrophic (critical)", _RED, [c.catastrophic for c in found]),
    ):
        figure.add_trace(
            go.Bar(
                y=names,
                x=[r.value or 0.0 for r in rates],
                name=label,
                orientation="h",
                marker_color=colour,
                text=[_share(r) if r.value else "" for r in rates],
                textposition="inside",
                insidetextanchor="middle",
                hoverinfo="skip",
            )
        )
    figure.add_trace(
        go.Scatter(
            y=names,
            x=[c.failed.value or 0.0 for c in found],
            mode="text",
            text=[
                f"any failure {_count(c.failed)}; weighted {estimate_text(c.weighted)}"
                for c in found
            ],
            textposition="middle right",
            hoverinfo="skip",
            showlegend=False,
        )
    )
    figure.update_layout(barmode="stack", legend={"orientation": "h", "y": -0.25})
    figure.update_xaxes(
        range=[0, 1.9], tickvals=_TICKS, tickformat=".0%", title="share of answered outputs"
    )
    figure.update_yaxes(autorange="reversed", type="category")
    return _layout(figure, "Outputs by their worst failure", height=170 + 45 * len(found))


def latency_chart(latency: LatencyUnderLoad) -> go.Figure:
    """p95 of TTFT and end-to-end latency at each load level, against the p95 targets."""
    labels = [escape(level.label) for level in latency.levels]
    figure = go.Figure()
    for name, colour, values in (
        ("TTFT p95", _BLUE, [level.ttft_p95_ms for level in latency.levels]),
        ("E2E p95", _ORANGE, [level.e2e_p95_ms for level in latency.levels]),
    ):
        figure.add_trace(
            go.Bar(
                x=labels,
                y=[0.0 if v is None else v for v in values],
                name=name,
                marker_color=colour,
                text=["not measured" if v is None else duration(v) for v in values],
                textposition="outside",
                hoverinfo="skip",
            )
        )
    for limit, name in (
        (latency.targets.ttft_p95_ms, "TTFT p95 target"),
        (latency.targets.e2e_p95_ms, "E2E p95 target"),
    ):
        if limit is not None:
            figure.add_hline(
                y=limit,
                line={"dash": "dot", "color": _RED},
                annotation_text=f"{name} {limit:g} ms",
                annotation_position="top left",
            )
    figure.update_layout(barmode="group", legend={"orientation": "h", "y": -0.2})
    figure.update_xaxes(type="category", title="load level")
    figure.update_yaxes(rangemode="tozero", title="milliseconds")
    title = f"{latency.candidate_id}: p95 latency by load (load run {latency.load_run_id[:12]})"
    return _layout(figure, escape(title), height=420)


def pareto_chart(decision: Decision) -> go.Figure | None:
    """Pass rate against cost per 1,000 requests, the frontier joined, ties marked.

    Candidates without a price are left off (the report lists them under the chart).
    """
    points = [p for p in decision.pareto if p.cost is not None]
    if not points:
        return None
    costs = [1000 * (p.cost or 0.0) for p in points]
    positive = [c for c in costs if c > 0]
    log = bool(positive) and len(positive) == len(costs) and max(costs) / min(costs) > _LOG_SPREAD
    figure = go.Figure()
    for number, group in enumerate(_tie_groups(points)):
        members = sorted(group, key=lambda p: p.cost or 0.0)
        colour = _TIE_COLOURS[number % len(_TIE_COLOURS)]
        names = ", ".join(escape(p.candidate_id) for p in members)
        figure.add_trace(
            go.Scatter(
                x=[1000 * (p.cost or 0.0) for p in members],
                y=[p.quality.value or 0.0 for p in members],
                mode="lines+markers",
                line={"dash": "dot", "color": colour, "width": 2},
                marker={
                    "size": 26,
                    "color": "rgba(0,0,0,0)",
                    "line": {"color": colour, "width": 3},
                },
                name=f"cannot be separated: {names}",
                hoverinfo="skip",
            )
        )
        # Above the group's highest interval, clear of the points' own labels.
        highest = max(members, key=lambda p: p.quality.high)
        figure.add_annotation(
            x=_axis_x(1000 * (highest.cost or 0.0), log),
            y=highest.quality.high,
            text=f"cannot be separated: {names}",
            showarrow=False,
            yshift=14,
            font={"color": colour},
        )
    frontier = sorted((p for p in points if p.frontier), key=lambda p: p.cost or 0.0)
    if len(frontier) > 1:
        figure.add_trace(
            go.Scatter(
                x=[1000 * (p.cost or 0.0) for p in frontier],
                y=[p.quality.value or 0.0 for p in frontier],
                mode="lines",
                line={"color": _GREY, "width": 1.5},
                name="frontier",
                hoverinfo="skip",
            )
        )
    chosen = decision.recommendation.candidate_id
    figure.add_trace(
        go.Scatter(
            x=costs,
            y=[p.quality.value or 0.0 for p in points],
            mode="markers+text",
            marker={
                "size": 14,
                "color": [_GREEN if p.candidate_id == chosen else _BLUE for p in points],
                "symbol": ["star" if p.candidate_id == chosen else "circle" for p in points],
            },
            error_y={
                "type": "data",
                "symmetric": False,
                "array": [p.quality.high - (p.quality.value or 0.0) for p in points],
                "arrayminus": [(p.quality.value or 0.0) - p.quality.low for p in points],
                "color": "#333",
            },
            text=[
                _point_label(p, cost, p.candidate_id == chosen)
                for p, cost in zip(points, costs, strict=True)
            ],
            textposition=_label_positions(costs),
            name="candidates (pass rate, 95% interval)",
            hoverinfo="skip",
        )
    )
    figure.update_xaxes(
        # A tick at each candidate's own cost: read off the axis, no hovering.
        tickvals=sorted(set(costs)),
        ticktext=[usd(cost) for cost in sorted(set(costs))],
        type="log" if log else "linear",
        title="cost per 1,000 requests (US dollars" + (", log scale)" if log else ")"),
        rangemode="tozero" if not log else "normal",
    )
    # Zoomed to the intervals, so close candidates' labels do not sit on top of each other.
    top = min(1.1, max(p.quality.high for p in points) + 0.15)
    figure.update_yaxes(
        range=[-0.08, top],
        tickvals=[tenth / 10 for tenth in range(11) if tenth / 10 <= top],
        tickformat=".0%",
        title="pass rate [95% interval]",
    )
    figure.update_layout(legend={"orientation": "h", "y": -0.25})
    return _layout(figure, "Quality against cost", height=520)


def _label_positions(costs: Sequence[float]) -> list[str]:
    """Labels alternate above and below by cost, so neighbours' labels do not collide.

    The dearest point's label goes to its left, so it stays inside the plot.
    """
    order = sorted(range(len(costs)), key=lambda i: costs[i])
    positions = [""] * len(costs)
    for rank, index in enumerate(order):
        vertical = "top" if rank % 2 == 0 else "bottom"
        side = "left" if rank == len(order) - 1 and len(order) > 1 else "right"
        positions[index] = f"{vertical} {side}"
    return positions


def _point_label(point: ParetoPoint, cost: float, chosen: bool) -> str:
    quality = point.quality
    mark = " (recommended)" if chosen else ""
    # Padded on both sides: the label clears the tie ring whichever side it sits on.
    lines = (
        f"{escape(point.candidate_id)}{mark}",
        f"{interval_text(quality.value, quality.low, quality.high)}, {usd(cost)}/1k",
    )
    return "<br>".join(f"    {line}    " for line in lines)


def _tie_groups(points: Sequence[ParetoPoint]) -> list[list[ParetoPoint]]:
    """Connected groups of two or more candidates the data cannot separate."""
    by_id = {p.candidate_id: p for p in points}
    seen: set[str] = set()
    groups = []
    for point in points:
        if point.candidate_id in seen:
            continue
        group, stack = [], [point.candidate_id]
        while stack:
            current = stack.pop()
            if current in seen or current not in by_id:
                continue
            seen.add(current)
            group.append(by_id[current])
            stack.extend(by_id[current].ties)
        if len(group) > 1:
            groups.append(group)
    return groups


def _axis_x(value: float, log: bool) -> float:
    # Annotations on a log axis are placed by the exponent, not by the value.
    return math.log10(value) if log and value > 0 else value


def _layout(figure: go.Figure, title: str, *, height: int) -> go.Figure:
    figure.update_layout(
        title={"text": title, "x": 0},
        height=height,
        font=_FONT,
        margin={"l": 110, "r": 30, "t": 60, "b": 60},
        plot_bgcolor="#fafafa",
        hovermode=False,
    )
    return figure


def chart_html(figure: go.Figure, div_id: str) -> str:
    """The figure as a div and its drawing script; plotly.js itself is on the page once."""
    html: str = figure.to_html(
        include_plotlyjs=False,
        full_html=False,
        div_id=div_id,
        config={"displaylogo": False, "responsive": True, "displayModeBar": False},
    )
    return html
