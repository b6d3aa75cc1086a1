"""Jinja2 pages with autoescaping on: dataset text and model output are never markup."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from starlette.requests import Request
from starlette.responses import Response
from starlette.templating import Jinja2Templates

from fieldeval.notation import dollars, shown_as_text
from fieldeval.web.security import Security

TEMPLATES_DIR = Path(__file__).with_name("templates")
STATIC_DIR = Path(__file__).with_name("static")

templates = Jinja2Templates(
    env=Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=True,  # every template, whatever its extension
        finalize=shown_as_text,  # bidi controls in outputs shown, never applied
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
)


def percent(value: float | None) -> str:
    """A share as a percentage with one decimal: 0.125 -> `12.5%`; None -> `–`."""
    return "–" if value is None else f"{100 * value:.1f}%"


def percent_up(value: float | None) -> str:
    """An upper bound as a percentage with one decimal, rounded up: 0.1129 -> `11.3%`."""
    return "–" if value is None else f"{math.ceil(1000 * value - 1e-9) / 10:.1f}%"


def decimal(value: float | None, places: int = 2) -> str:
    return "–" if value is None else f"{value:.{places}f}"


def p_value(value: float | None) -> str:
    """A p or q value: three decimals, `<0.001` below that."""
    if value is None:
        return "–"
    return "<0.001" if value < 0.001 else f"{value:.3f}"


def usd(value: float | None) -> str:
    """US dollars to a few significant figures: `$4,100`, `$0.0042`; None -> `–`."""
    return "–" if value is None else dollars(value, figures=3)


def shown(value: object) -> str:
    """A configuration value as JSON text, to be escaped like any other text."""
    return json.dumps(value, ensure_ascii=False, default=str)


templates.env.filters.update(
    percent=percent, percent_up=percent_up, decimal=decimal, p_value=p_value, shown=shown, usd=usd
)


def compile_templates() -> None:
    """Compile every template now (about 0.1 s), so that no reader's first page pays for it."""
    for name in templates.env.list_templates(extensions=["html"]):
        templates.env.get_template(name)


def render(request: Request, template: str, **context: Any) -> Response:
    """A page, given the token its scripts send with every write."""
    security: Security = request.app.state.security
    return templates.TemplateResponse(request, template, {"token": security.token, **context})
