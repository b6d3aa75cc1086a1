"""Progress as it happens: a bar per candidate for a run, a bar over a judge's or grader's
calls. On a terminal these are live bars; in a log (stdout not a terminal) a live bar would
print nothing until the end, so each prints a plain line at every tenth done (a second
apart at least), at least every `LOG_EVERY_S` seconds while it moves, and at the end."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import TracebackType

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from fieldeval.runner.events import Event, OutputFinished, Retrying, RunStarted

LOG_EVERY_S = 30.0
LOG_GAP_S = 1.0  # a fast job's tenths would be ten lines in one second: one is enough


class _LogLines:
    """When to print a progress line to a log: at a tenth done at least LOG_GAP_S after the
    last line, after LOG_EVERY_S without one, and at the end."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.started = clock()
        self.last_time = self.started
        self.last_tenth = 0
        self.last_done = 0

    def due(self, done: int, total: int) -> bool:
        now = self.clock()
        tenth = 10 * done // total if total else 0
        if done <= self.last_done:
            return False
        waited = now - self.last_time
        finished = bool(total) and done >= total
        if not (
            finished or (tenth > self.last_tenth and waited >= LOG_GAP_S) or waited >= LOG_EVERY_S
        ):
            return False
        self.last_time, self.last_tenth, self.last_done = now, tenth, done
        return True

    def line(self, what: str, done: int, total: int) -> str:
        elapsed = int(self.clock() - self.started)
        share = f" ({done / total:.0%})" if total else ""
        return f"{what}: {done}/{total}{share}, {elapsed // 60}:{elapsed % 60:02d} elapsed"


class CountProgress:
    """Progress over a count of calls (`on_progress(done, total)`), a bar or log lines."""

    def __init__(self, what: str, console: Console) -> None:
        self.what, self.console = what, console
        self.log: _LogLines | None = None
        self.bar: Progress | None = None
        if console.is_terminal:
            self.bar = Progress(
                what, BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(), console=console
            )
            self.task = self.bar.add_task(what, total=None)
            self.bar.start()
        else:
            self.log = _LogLines()

    def __call__(self, done: int, total: int) -> None:
        if self.bar is not None:
            self.bar.update(self.task, completed=done, total=total)
        elif self.log is not None and self.log.due(done, total):
            self.console.print(self.log.line(self.what, done, total), highlight=False)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.stop()


@contextmanager
def count_progress(what: str, console: Console) -> Iterator[CountProgress]:
    """A `CountProgress`, stopped on the way out."""
    progress = CountProgress(what, console)
    try:
        yield progress
    finally:
        progress.close()


class RunProgress:
    """Shows each candidate's calls done, passed, errors and retries as they happen."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[tally]}"),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=console,
            transient=False,
        )
        self.tasks: dict[str, TaskID] = {}
        self.tally: dict[str, Counter[str]] = {}
        self.totals: dict[str, int] = {}
        self.logs: dict[str, _LogLines] | None = None if console.is_terminal else {}

    def __enter__(self) -> RunProgress:
        if self.logs is None:
            self.progress.__enter__()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if self.logs is None:
            self.progress.__exit__(kind, error, trace)

    def __call__(self, event: Event) -> None:
        if isinstance(event, RunStarted):
            verb = "resuming" if event.resumed else "run"
            self.console.print(f"[bold]{verb}[/] {event.run_id}")
            for candidate_id, total in event.planned.items():
                self.tally[candidate_id] = Counter()
                self.totals[candidate_id] = total
                if self.logs is not None:
                    self.logs[candidate_id] = _LogLines()
                self.tasks[candidate_id] = self.progress.add_task(
                    candidate_id, total=total, tally=""
                )
        elif isinstance(event, OutputFinished):
            tally = self.tally[event.candidate_id]
            tally["passed" if event.passed else ("failed" if event.ok else "errors")] += 1
            tally["cached"] += event.from_cache
            self.progress.update(self.tasks[event.candidate_id], advance=1, tally=_describe(tally))
            if self.logs is not None:
                self._log(event.candidate_id, tally)
        elif isinstance(event, Retrying):
            self.tally[event.candidate_id]["retries"] += 1

    def _log(self, candidate_id: str, tally: Counter[str]) -> None:
        assert self.logs is not None
        log, total = self.logs[candidate_id], self.totals[candidate_id]
        done = tally["passed"] + tally["failed"] + tally["errors"]
        if log.due(done, total):
            self.console.print(f"{log.line(candidate_id, done, total)}  {_describe(tally)}")


def _describe(tally: Counter[str]) -> str:
    parts = [f"[green]{tally['passed']} pass[/]", f"[red]{tally['failed']} fail[/]"]
    if tally["errors"]:
        parts.append(f"[red bold]{tally['errors']} errors[/]")
    if tally["retries"]:
        parts.append(f"[yellow]{tally['retries']} retries[/]")
    if tally["cached"]:
        parts.append(f"[dim]{tally['cached']} cached[/]")
    return " ".join(parts)
