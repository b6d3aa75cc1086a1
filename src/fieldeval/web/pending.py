"""What a page shows, and its JSON twin answers, while an analysis is computed in the background.

The page is served at once with what fast queries give and, in place of each section that
needs the analysis, a note saying how far it is; it reloads itself (`<meta http-equiv=
"refresh">`, no script) until the analysis is there. The JSON twin answers 202 with the same
dict, `status: "computing"`, and a Retry-After header; `?wait=1` makes it (or the page) wait
for the analysis instead and answer 200 with it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Annotated, Any, TypeVar

from fastapi import Query
from starlette.responses import Response

from fieldeval.web.background import Pending
from fieldeval.web.context import Computing

T = TypeVar("T")
RETRY_AFTER_S = 2  # the page reloads, and a script asks again, this often
Wait = Annotated[
    bool,
    Query(description="wait for an analysis still being computed instead of answering 202"),
]


def progress_text(progress: Pending) -> str:
    """`being computed (started 0.4 s ago)`, or how long it has waited for its turn."""
    if progress.running_s is not None:
        return f"being computed (started {progress.running_s:.1f} s ago)"
    if progress.ahead:
        others = "analysis" if progress.ahead == 1 else "analyses"
        return (
            f"waiting for {progress.ahead} other {others} to finish first"
            f" (queued {progress.queued_s:.1f} s ago)"
        )
    return f"about to be computed (queued {progress.queued_s:.1f} s ago)"


def note(subject: str, progress: Pending) -> str:
    """The sentence in place of a pending section; `subject` says what is computed."""
    return f"The {subject} is {progress_text(progress)}; this page reloads when it is ready."


def pending_json(
    computing: Computing[Any], sections: Sequence[tuple[str, str, str]], *, wait_url: str
) -> dict[str, Any]:
    """`status: computing` and how far it is; `sections`: (id, title, subject) pending."""
    progress = computing.progress
    return {
        "status": "computing",
        "retry_after_s": RETRY_AFTER_S,
        "state": "queued" if progress.running_s is None else "running",
        "queued_s_ago": round(progress.queued_s, 3),
        "started_s_ago": None if progress.running_s is None else round(progress.running_s, 3),
        "ahead": progress.ahead,
        "outputs": computing.outputs,
        "wait_url": wait_url,
        "pending": [
            {"section": section, "title": title, "note": note(subject, progress)}
            for section, title, subject in sections
        ],
    }


def shown(
    found: T | Computing[T], outputs_of: Callable[[T], int | None]
) -> tuple[T | Computing[T], dict[str, Any] | None]:
    """What to show: the analysis; or, while a running run is analysed again, the earlier
    one with a note saying so (`updating`); or how far the analysis is."""
    if not isinstance(found, Computing) or found.previous is None:
        return found, None
    earlier = outputs_of(found.previous)
    of = f"the {earlier:,} outputs stored" if earlier is not None else "what was stored"
    return found.previous, {
        "retry_after_s": RETRY_AFTER_S,
        "note": (
            f"A run is still running: these figures are of {of} when it was last analysed."
            f" The analysis of the {found.outputs:,} outputs stored now is"
            f" {progress_text(found.progress)}; this page reloads to show it."
        ),
    }


def answered(response: Response, data: dict[str, Any]) -> dict[str, Any]:
    """`data`, marked 202 with Retry-After when it says the analysis is being computed."""
    if data.get("status") == "computing":
        response.status_code = 202
        response.headers["Retry-After"] = str(RETRY_AFTER_S)
    return data


def wait_url(page_url: str) -> str:
    """The JSON twin of the page at `page_url` that waits for the analysis (`?wait=1`)."""
    return f"/api{page_url}{'&' if '?' in page_url else '?'}wait=1"
