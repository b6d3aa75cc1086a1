"""Levels: their labels, and the midpoints that refine a sweep."""

from __future__ import annotations

from fieldeval.load.level import midpoint
from fieldeval.records.load import Level


def test_a_midpoint_halves_the_bracket_and_closed_loop_keeps_whole_users() -> None:
    assert midpoint(Level(0, "open", rate=8.0), Level(1, "open", rate=40.0), 5) == Level(
        5, "open", rate=24.0
    )
    assert midpoint(Level(0, "closed", users=2), Level(1, "closed", users=9), 3) == Level(
        3, "closed", users=5
    )
    assert midpoint(Level(0, "closed", users=4), Level(1, "closed", users=5), 3) is None
    assert Level(0, "closed", users=1).label == "1 user"
    assert Level(0, "closed", users=2).label == "2 users"
