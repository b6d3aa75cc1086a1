"""Progress in a log: a line at each tenth (a second apart at least), after 30 s without one,
and at the end, decided on a clock the test moves, so no test waits on time."""

from __future__ import annotations

from fieldeval.cli.progress import LOG_EVERY_S, _LogLines


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def lines_for(steps: list[tuple[float, int]], total: int) -> list[int]:
    """The `done` counts a line is printed at, for (seconds since the last step, done)."""
    clock = Clock()
    log = _LogLines(clock)
    printed = []
    for wait, done in steps:
        clock.now += wait
        if log.due(done, total):
            printed.append(done)
    return printed


def test_a_slow_job_prints_each_tenth_and_the_end() -> None:
    steps = [(2.0, done) for done in range(1, 101)]
    assert lines_for(steps, 100) == list(range(10, 101, 10))


def test_a_fast_job_prints_only_its_end() -> None:
    steps = [(0.001, done) for done in range(1, 101)]
    assert lines_for(steps, 100) == [100]


def test_a_stalled_job_still_prints_while_it_moves() -> None:
    # Three answers in ten minutes out of 1,000: no tenth is crossed, yet each is a line.
    steps = [(LOG_EVERY_S * 6, 1), (LOG_EVERY_S * 6, 2), (LOG_EVERY_S * 6, 3)]
    assert lines_for(steps, 1000) == [1, 2, 3]
    # A job that does not move prints nothing, however long it takes.
    assert lines_for([(LOG_EVERY_S * 6, 0), (LOG_EVERY_S * 6, 0)], 1000) == []


def test_the_line_says_how_far_and_how_long() -> None:
    clock = Clock()
    log = _LogLines(clock)
    clock.now += 75
    assert log.line("judging", 40, 200) == "judging: 40/200 (20%), 1:15 elapsed"
