"""Two runs compared (`/compare?before=A&after=B`): flipped examples first, and its JSON."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.responses import Response

from fieldeval.web.comparison_json import comparison_json, ordered_flips
from fieldeval.web.context import Computing, ResultsContext, results_context
from fieldeval.web.links import compare_url
from fieldeval.web.paging import Paging
from fieldeval.web.pending import answered, pending_json, shown, wait_url
from fieldeval.web.results_json import run_json
from fieldeval.web.templating import render

router = APIRouter()
FLIPS_PER_PAGE = 50
Context = Annotated[ResultsContext, Depends(results_context)]


class CompareQuery(BaseModel):
    model_config = ConfigDict(frozen=True)

    before: str = Field(description="the earlier run's id (or a unique prefix)")
    after: str = Field(description="the later run's id (or a unique prefix)")
    page: int = Field(1, ge=1, description="the page of flipped examples")
    wait: bool = Field(
        False, description="wait for a comparison still being computed instead of answering 202"
    )


@router.get("/compare", include_in_schema=False)
def compare_page(
    request: Request, context: Context, query: Annotated[CompareQuery, Query()]
) -> Response:
    data = comparison_data(context, query)
    return render(
        request,
        "pending.html" if data.get("status") == "computing" else "compare.html",
        page="compare",
        suite_name=context.suite_name,
        run_id=data["after"]["id"],
        data=data,
    )


@router.get("/api/compare")
def comparison(
    context: Context, query: Annotated[CompareQuery, Query()], response: Response
) -> dict[str, Any]:
    """Example by example: what flipped (regressions first), then every paired difference.

    202 while the comparison is computed in the background (`&wait=1` waits for it).
    """
    return answered(response, comparison_data(context, query))


def comparison_data(context: ResultsContext, query: CompareQuery) -> dict[str, Any]:
    before, after = context.run(query.before), context.run(query.after)
    found, updating = shown(context.comparison(before, after, wait=query.wait), lambda _: None)
    if isinstance(found, Computing):
        subject = f"comparison of these two runs ({found.outputs:,} outputs)"
        return {
            **pending_json(
                found,
                [("flips", "Flipped examples and paired differences", subject)],
                wait_url=wait_url(compare_url(before.id, after.id, query.page)),
            ),
            "before": run_json(before),
            "after": run_json(after),
        }
    flips = ordered_flips(found)
    paging = Paging(query.page, FLIPS_PER_PAGE, len(flips))
    shown_flips = flips[paging.offset : paging.offset + FLIPS_PER_PAGE]
    return {
        **comparison_json(
            found,
            shown_flips,
            paging.json(lambda page: compare_url(before.id, after.id, page)),
        ),
        "updating": updating,
    }
