"""Running a suite: plan, execute with limits, retries and cache, resume."""

from fieldeval.runner.events import Event, OutputFinished, Retrying, RunFinished, RunStarted
from fieldeval.runner.execute import run_suite, run_suite_async

__all__ = [
    "Event",
    "OutputFinished",
    "Retrying",
    "RunFinished",
    "RunStarted",
    "run_suite",
    "run_suite_async",
]
