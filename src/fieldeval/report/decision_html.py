"""The decision report as one self-contained HTML file that opens offline.

CSS and plotly.js are inline (plotly.js once, however many charts), so the page makes no
request of any kind. The template runs in Jinja2's sandbox with autoescaping: dataset text
and model output are shown as text, never read as markup, and nothing in them is executed.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from jinja2 import FileSystemLoader, StrictUndefined
from jinja2.sandbox import SandboxedEnvironment
from markupsafe import Markup

from fieldeval.decision.evidence import Decision
from fieldeval.decision.recommendation import usd
from fieldeval.files import write_atomically
from fieldeval.notation import duration, p_value, percent_up, points, shown_as_text
from fieldeval.report import charts
from fieldeval.report.abstention import abstention_rows
from fieldeval.report.abstention_text import CAPTION as ABSTENTION_CAPTION
from fieldeval.report.abstention_text import note
from fieldeval.report.classification import CAPTION as CLASSIFICATION_CAPTION
from fieldeval.report.classification import f1_text
from fieldeval.report.markdown_text import rate_cell
from fieldeval.report.production import CAPTION as PRODUCTION_CAPTION
from fieldeval.report.production import weighted_text
from fieldeval.report.slices import CAPTION as SLICE_CAPTION
from fieldeval.version import __version__

_TEMPLATES = Path(__file__).parent / "templates"
# Outputs shown to read first; the rest are a command away (`fieldeval failures`).
MAX_EXCERPTS = 8


def write_decision_html(decision: Decision, path: Path) -> None:
    """Write the page to `path`, replacing it whole (never a half-written file)."""
    write_atomically(path, decision_html(decision))


def decision_html(decision: Decision, *, generated: datetime | None = None) -> str:
    """The whole page: the recommendation first, then each section with its charts."""
    when = (generated or datetime.now(UTC)).strftime("%Y-%m-%d %H:%M UTC")
    return (
        _environment()
        .get_template("decision.html")
        .render(
            d=decision,
            charts=_charts(decision),
            plotly_js=Markup(_plotly_js()),
            generated=when,
            version=__version__,
            max_excerpts=MAX_EXCERPTS,
            slice_caption=SLICE_CAPTION,
            classification_caption=CLASSIFICATION_CAPTION,
            abstention=_abstention(decision),
            production_caption=PRODUCTION_CAPTION,
        )
    )


def _abstention(decision: Decision) -> dict[str, Any] | None:
    """The abstention section's note, rows and caption, as the terminal shows them."""
    found = decision.abstention
    if found is None:
        return None
    return {"note": note(found), "rows": abstention_rows(found), "caption": ABSTENTION_CAPTION}


def _charts(decision: Decision) -> dict[str, Any]:
    """Each chart's div and drawing script; marked safe because every label in it is escaped."""
    pareto = charts.pareto_chart(decision)
    failures = charts.failure_chart(decision)
    return {
        "quality": Markup(charts.chart_html(charts.quality_chart(decision), "chart-quality-plot")),
        "failures": Markup(charts.chart_html(failures, "chart-failures-plot")) if failures else "",
        "pareto": Markup(charts.chart_html(pareto, "chart-pareto-plot")) if pareto else "",
        "latency": {
            cid: Markup(charts.chart_html(charts.latency_chart(lat), f"chart-latency-plot-{i}"))
            for i, (cid, lat) in enumerate(decision.latency, start=1)
            if lat is not None
        },
    }


def _plotly_js() -> str:
    from plotly.offline import get_plotlyjs

    source: str = get_plotlyjs()
    return source


def _environment() -> SandboxedEnvironment:
    env = SandboxedEnvironment(
        loader=FileSystemLoader(_TEMPLATES),
        autoescape=True,
        finalize=shown_as_text,  # bidi controls in outputs shown, never applied
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        percent=lambda v: "–" if v is None else f"{100 * v:.0f}%",
        percent_up=percent_up,
        usd=usd,
        ms=duration,
        points=lambda v: "–" if v is None else points(v),
        p_value=p_value,
        decimal=_decimal,
        score=lambda v: f"{v:g}",
        unsigned_points=lambda v: f"{100 * abs(v):.0f}",
        rate_text=rate_cell,
        f1=f1_text,
        weighted=weighted_text,
    )
    return env


def _decimal(value: float | None, digits: int = 2) -> str:
    return "–" if value is None else f"{value:.{digits}f}".replace("-", "−")
