"""`create_app`: the FastAPI app, its security, error handling, static files and routers."""

from __future__ import annotations

from typing import Annotated

from fastapi import FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from starlette.responses import Response

from fieldeval.errors import StoreError, UserError
from fieldeval.web import comparison, examples, grading, results, runs
from fieldeval.web.context import ResultsContext
from fieldeval.web.grading_json import error_json
from fieldeval.web.security import Security, SecurityMiddleware
from fieldeval.web.templating import STATIC_DIR, compile_templates


def create_app(
    security: Security,
    *,
    grading_context: grading.GradingContext | None = None,
    results_context: ResultsContext | None = None,
) -> FastAPI:
    """The local app: grading a run (`grading_context`), reading results (`results_context`)."""
    # Swagger's pages load from a CDN, which this app never does; the schema stays, for scripts.
    app = FastAPI(title="fieldeval", docs_url=None, redoc_url=None, openapi_url="/api/openapi.json")
    app.state.security = security
    app.state.grading = grading_context
    app.state.results = results_context
    app.add_middleware(SecurityMiddleware, security=security)
    app.add_exception_handler(UserError, _user_error)
    app.add_exception_handler(RequestValidationError, _invalid_request)
    app.add_exception_handler(StoreError, _store_error)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    compile_templates()
    app.include_router(grading.router)
    for router in (runs.router, results.router, examples.router, comparison.router):
        app.include_router(router)

    @app.get("/", include_in_schema=False)
    def home(request: Request, page: Annotated[int, Query(ge=1)] = 1) -> Response:
        """The runs list when reading results; the grading screen when grading."""
        if grading_context is None and results_context is not None:
            return runs.runs_page(request, results_context, page)
        return RedirectResponse("/grade", status_code=307)

    return app


async def _user_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, UserError)
    status = 404 if isinstance(error, grading.NotFound) else 422
    if request.url.path.startswith("/api/"):
        return JSONResponse(error_json(error), status_code=status)
    hint = f"\nhint: {error.hint}" if error.hint else ""
    return PlainTextResponse(f"{error.message}{hint}", status_code=status)


async def _invalid_request(_request: Request, error: Exception) -> Response:
    assert isinstance(error, RequestValidationError)
    problems = [
        f"{'.'.join(str(part) for part in problem['loc'][1:]) or 'body'}: {problem['msg']}"
        for problem in error.errors()
    ]
    return JSONResponse({"error": "; ".join(problems)}, status_code=422)


async def _store_error(_request: Request, error: Exception) -> Response:
    assert isinstance(error, StoreError)
    return JSONResponse({"error": error.message}, status_code=500)
