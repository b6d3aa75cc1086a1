"""What a caller of the pipeline is told as it goes: the CLI draws it, a script ignores it."""

from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fieldeval.edges.dataset import Expansion
    from fieldeval.edges.run_grading import EdgeGradingReport
    from fieldeval.judge.grader import JudgeReport, ProgressHandler
    from fieldeval.pipeline.evaluation import Evaluation
    from fieldeval.records.run import RunInfo
    from fieldeval.runner.events import EventHandler
    from fieldeval.store import Store


class Observer:
    """Every hook does nothing: override the ones to show."""

    def warned(self, warning: str) -> None:
        """Something about the suite or its data that the run goes on despite."""

    def edges_added(self, expansion: Expansion, clean_examples: int) -> None:
        """The dataset got its edge-case variants (before any call)."""

    def resuming_finished(self, run: RunInfo) -> None:
        """`resume` named a run that is already finished: nothing is sent."""

    def running(self) -> AbstractContextManager[EventHandler | None]:
        """Entered around the run; what it yields receives the runner's events."""
        return nullcontext()

    def judging(self) -> AbstractContextManager[ProgressHandler | None]:
        """Entered around judging after the run; yields a (done, total) handler."""
        return nullcontext()

    def judged(self, report: JudgeReport) -> None:
        """The judge graded the run's outputs."""

    def ran(self, store: Store, result: Evaluation) -> None:
        """The run (and its judging) is stored and read back; its edge cases are graded next."""

    def grading_edges(self) -> AbstractContextManager[ProgressHandler | None]:
        """Entered around grading the run's edge-case replies."""
        return nullcontext()

    def edges_graded(self, store: Store, run: RunInfo, report: EdgeGradingReport) -> None:
        """The run's edge-case replies are graded and stored."""
