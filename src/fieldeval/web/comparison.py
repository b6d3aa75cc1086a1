"""Two runs compared (`/compare?before=A&after=B`): flipped examples first, and its JSON."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.responses import Response

from fieldeval.web.comparison_json import comparison_json, ordered_flips
from fieldeval.web.context import ResultsContext, results_context
from fieldeval.web.links import compare_url
from fieldeval.web.paging import Paging
from fieldeval.web.templating import render

router = APIRouter()
FLIPS_PER_PAGE = 50
Context = Annotated[ResultsContext, Depends(results_context)]


class CompareQuery(BaseModel):
    model_config = ConfigDict(frozen=True)

    before: str = Field(description="the earlier run's id (or a unique prefix)")
    after: str = Field(description="the later run's id (or a unique prefix)")
    page: int = Field(1, ge=1, description="the page of flipped examples")


@router.get("/compare", include_in_schema=False)
def compare_page(
    request: Request, context: Context, query: Annotated[CompareQuery, Query()]
) -> Response:
    data = comparison(context, query)
    return render(
        request,
        "compare.html",
        page="compare",
        suite_name=context.suite_name,
        run_id=data["after"]["id"],
        data=data,
    )


@router.get("/api/compare")
def comparison(context: Context, query: Annotated[CompareQuery, Query()]) -> dict[str, Any]:
    """Example by example: what flipped (regressions first), then every paired difference."""
    before, after = context.run(query.before), context.run(query.after)
    found = context.comparison(before, after)
    flips = ordered_flips(found)
    paging = Paging(query.page, FLIPS_PER_PAGE, len(flips))
    shown = flips[paging.offset : paging.offset + FLIPS_PER_PAGE]
    return comparison_json(
        found, shown, paging.json(lambda page: compare_url(before.id, after.id, page))
    )
