"""A progress bar per candidate, fed by the runner's events."""

from __future__ import annotations

from collections import Counter
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

from fieldeval.runner import Event, OutputFinished, Retrying, RunStarted


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

    def __enter__(self) -> RunProgress:
        self.progress.__enter__()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.progress.__exit__(kind, error, trace)

    def __call__(self, event: Event) -> None:
        if isinstance(event, RunStarted):
            verb = "resuming" if event.resumed else "run"
            self.console.print(f"[bold]{verb}[/] {event.run_id}")
            for candidate_id, total in event.planned.items():
                self.tally[candidate_id] = Counter()
                self.tasks[candidate_id] = self.progress.add_task(
                    candidate_id, total=total, tally=""
                )
        elif isinstance(event, OutputFinished):
            tally = self.tally[event.candidate_id]
            tally["passed" if event.passed else ("failed" if event.ok else "errors")] += 1
            tally["cached"] += event.from_cache
            self.progress.update(self.tasks[event.candidate_id], advance=1, tally=_describe(tally))
        elif isinstance(event, Retrying):
            self.tally[event.candidate_id]["retries"] += 1


def _describe(tally: Counter[str]) -> str:
    parts = [f"[green]{tally['passed']} pass[/]", f"[red]{tally['failed']} fail[/]"]
    if tally["errors"]:
        parts.append(f"[red bold]{tally['errors']} errors[/]")
    if tally["retries"]:
        parts.append(f"[yellow]{tally['retries']} retries[/]")
    if tally["cached"]:
        parts.append(f"[dim]{tally['cached']} cached[/]")
    return " ".join(parts)
