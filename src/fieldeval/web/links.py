"""Addresses of the results pages, with every id quoted: ids from a dataset may hold anything."""

from __future__ import annotations

from urllib.parse import quote, urlencode


def segment(value: str) -> str:
    """`value` as one path segment: `/`, `?`, `#`, `&` and spaces quoted."""
    return quote(value, safe="")


def failures_url(run_id: str) -> str:
    return f"/runs/{segment(run_id)}/failures"


def output_url(run_id: str, candidate_id: str, example_id: str, repeat: int) -> str:
    parts = (segment(run_id), segment(candidate_id), segment(example_id))
    return f"/runs/{parts[0]}/outputs/{parts[1]}/{parts[2]}/{repeat}"


def outputs_url(run_id: str, **filters: str | int | None) -> str:
    """The outputs list, filtered by the given query parameters (None ones left out)."""
    return _with_query(f"/runs/{segment(run_id)}/outputs", dict(filters))


def _with_query(path: str, query: dict[str, str | int | None]) -> str:
    kept = urlencode({name: value for name, value in query.items() if value is not None})
    return path + (f"?{kept}" if kept else "")


def runs_url(page: int = 1) -> str:
    return _with_query("/", {"page": page if page != 1 else None})


def run_url(run_id: str) -> str:
    return f"/runs/{segment(run_id)}"


def examples_url(run_id: str, **filters: str | int | None) -> str:
    """The examples table, filtered by the given query parameters (None ones left out)."""
    return _with_query(f"/runs/{segment(run_id)}/examples", dict(filters))


def example_url(run_id: str, example_id: str) -> str:
    return f"/runs/{segment(run_id)}/examples/{segment(example_id)}"


def compare_url(before: str, after: str, page: int = 1) -> str:
    return _with_query(
        "/compare", {"before": before, "after": after, "page": page if page != 1 else None}
    )
