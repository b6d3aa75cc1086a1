"""Jinja2 pages with autoescaping on: dataset text and model output are never markup."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from starlette.requests import Request
from starlette.responses import Response
from starlette.templating import Jinja2Templates

from fieldeval.web.security import Security

TEMPLATES_DIR = Path(__file__).with_name("templates")
STATIC_DIR = Path(__file__).with_name("static")

templates = Jinja2Templates(
    env=Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=True,  # every template, whatever its extension
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
)


def render(request: Request, template: str, **context: Any) -> Response:
    """A page, given the token its scripts send with every write."""
    security: Security = request.app.state.security
    return templates.TemplateResponse(request, template, {"token": security.token, **context})
