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
    query = urlencode({name: value for name, value in filters.items() if value is not None})
    return f"/runs/{segment(run_id)}/outputs" + (f"?{query}" if query else "")
