"""What each command does, over the library; `main.py` only declares the options."""

from __future__ import annotations

import contextlib
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING

from rich.table import Table
from rich.text import Text

from fieldeval.cli.console import console, count
from fieldeval.errors import NothingAnswered, UserError
from fieldeval.pipeline.observer import Observer

if TYPE_CHECKING:
    from fieldeval.edges.dataset import Expansion
    from fieldeval.edges.run_grading import EdgeGradingReport
    from fieldeval.judge.grader import JudgeReport, ProgressHandler
    from fieldeval.pipeline.evaluation import Evaluation
    from fieldeval.pipeline.run import RunOptions
    from fieldeval.records.run import RunInfo
    from fieldeval.results.run_data import RunData
    from fieldeval.runner.events import EventHandler
    from fieldeval.store import Store


def init(data: Path, out: Path, *, force: bool) -> None:
    from fieldeval.files import write_atomically
    from fieldeval.importers.scaffold import scaffold_suite

    if out.exists() and not force:
        raise UserError(f"{out} already exists", hint="pass --force to overwrite, or --out PATH")
    text = scaffold_suite(data, suite_dir=out.resolve().parent)
    write_atomically(out, text)  # never leave a half-written suite behind
    console.print(
        f"wrote [bold]{out}[/]: write the task statement, then `fieldeval validate {out}`"
    )


def validate(suite_path: Path) -> None:
    import fieldeval

    checked = fieldeval.validate(suite_path)
    edge_line = ""
    if checked.edge_generators is not None:
        edge_line = (
            f", {count(checked.edge_generators, 'edge generator')}"
            f" ({count(checked.offline_variants, 'variant')} without the translator)"
        )
    console.print(
        f"[green]ok[/] {suite_path}: task {checked.task!r}, {count(checked.examples, 'example')} "
        f"({checked.dataset_hash[:17]}…), {count(checked.candidates, 'candidate')}, "
        f"{count(checked.checks, 'check')}{edge_line}"
    )
    for warning in checked.warnings:
        console.print(f"[yellow]warning[/]: {warning}")


def run(
    suite_path: Path,
    *,
    db: str | None,
    resume: bool,
    resume_run: str | None,
    sample: int | None,
    stratify: str | None,
    seed: int,
    repeats: int,
    use_cache: bool,
    quiet: bool,
    judge: bool = True,
    dry_run: bool = False,
    edges: bool = True,
) -> None:
    import fieldeval

    options: RunOptions = dict(  # noqa: C408  (a TypedDict, spelt as keywords)
        db=db,
        observer=_Shown(quiet=quiet or dry_run),
        sample=sample,
        stratify=stratify,
        seed=seed,
        repeats=repeats,
        resume=resume_run or resume,
        use_cache=use_cache,
        judge=judge,
        edges=edges,
    )
    if dry_run:
        from fieldeval.report.estimate import render_estimate

        estimate = fieldeval.estimate(suite_path, **options)
        render_estimate(estimate, console)
        return
    evaluation = fieldeval.evaluate(suite_path, **options)
    console.print(
        f"results stored in [bold]{evaluation.store_url}[/] as run [bold]{evaluation.run.id}[/]",
        soft_wrap=True,
    )
    if evaluation.outputs and not evaluation.answered:
        kinds = ", ".join(f"{kind} {n}" for kind, n in evaluation.error_kinds().items())
        first = next(o.error_message for o in evaluation.outputs if o.error_message)
        raise NothingAnswered(
            f"run {evaluation.run.id}: no call was answered ({kinds})",
            hint=f"the first error: {first}; check the candidate's base_url, its server and"
            " its key, then `fieldeval run --resume` sends only what failed",
        )


class _Shown(Observer):
    """The pipeline as `fieldeval run` shows it: progress bars, then each step's tables."""

    def __init__(self, *, quiet: bool) -> None:
        self.quiet = quiet

    def resuming_finished(self, run: RunInfo) -> None:
        console.print(f"run {run.id} is already finished; nothing to resume")

    def warned(self, warning: str) -> None:
        console.print(Text.assemble(("warning", "yellow"), f": {warning}"), soft_wrap=True)

    def edges_added(self, expansion: Expansion, clean_examples: int) -> None:
        line = (
            f"edges: {count(expansion.variants, 'variant')} added to "
            f"{count(clean_examples, 'example')}"
        )
        if expansion.rewrites_called or expansion.rewrites_cached:
            line += (
                f"; translator: {expansion.rewrites_called} calls,"
                f" {expansion.rewrites_cached} from the cache"
            )
        if expansion.rewrites_missing:
            line += (
                f"; {expansion.rewrites_missing} texts not yet translated"
                " (a dry run calls no model)"
            )
        console.print(line)
        if expansion.fitting is not None:
            for note in expansion.fitting.notes():
                console.print(
                    Text(f"edges: {note}"), style="dim" if "task kind" in note else "yellow"
                )

    def running(self) -> AbstractContextManager[EventHandler | None]:
        if self.quiet:
            return contextlib.nullcontext()
        from fieldeval.cli.progress import RunProgress

        return RunProgress(console)

    def judging(self) -> AbstractContextManager[ProgressHandler | None]:
        from fieldeval.cli.grading_commands import judge_progress

        return contextlib.nullcontext() if self.quiet else judge_progress()

    def judged(self, report: JudgeReport) -> None:
        from fieldeval.cli.grading_commands import render_judge_report

        render_judge_report(report)

    def ran(self, store: Store, result: Evaluation) -> None:
        render_run(store, result.data)

    def grading_edges(self) -> AbstractContextManager[ProgressHandler | None]:
        from fieldeval.cli.edges_command import edge_progress

        return contextlib.nullcontext() if self.quiet else edge_progress()

    def edges_graded(self, store: Store, run: RunInfo, report: EdgeGradingReport) -> None:
        from fieldeval.cli.edges_command import show_edge_grading

        show_edge_grading(store, run.id, report)


def list_runs(*, db: str | None, limit: int) -> None:
    from fieldeval.store import Store

    store = Store.open(db)
    try:
        table = Table("run", "suite", "status", "outputs", "started (UTC)", "dataset")
        for info in store.runs(limit=limit):
            table.add_row(
                info.id,
                info.suite_name,
                info.status,
                f"{store.count_outputs(info.id)}/{info.n_planned}",
                f"{info.started_at:%Y-%m-%d %H:%M}",
                info.dataset_hash[:17],
            )
        console.print(table)
    finally:
        store.close()


def show(run_id: str, *, db: str | None) -> None:
    from fieldeval.results.run_data import read_run
    from fieldeval.store import Store

    store = Store.open(db)
    try:
        data = read_run(store, run_id)
        render_run(store, data)
        from fieldeval.edges.rates import edge_report

        edges = edge_report(store, data.run.id, examples=data.examples)
        if edges is not None:
            from fieldeval.report.edges import render_edges

            render_edges(edges, console)
    finally:
        store.close()


def render_run(store: Store, data: RunData) -> None:
    """The summary, then candidates paired (2+ candidates), then flaky examples (repeats)."""
    from fieldeval.abstention.rates import abstention_of
    from fieldeval.report.terminal import render_candidate_pairs, render_flaky, render_summary
    from fieldeval.results.candidates import compare_candidates
    from fieldeval.results.repeats import stability
    from fieldeval.results.slices import slice_results
    from fieldeval.results.summary import example_clusters, summarize

    # A run with edge cases: `data` is of the clean examples; `fieldeval edges` has the rest.
    info, outputs, examples = data.run, data.outputs, data.examples
    clusters = example_clusters(info, examples)
    from fieldeval.providers import sharing_a_server

    render_summary(
        summarize(info, outputs, clusters=clusters), console, shared=sharing_a_server(info)
    )
    if len(info.candidates) > 1:
        render_candidate_pairs(compare_candidates(outputs, info.candidates), console)
    from fieldeval.results.weighted import weighted_estimates

    weighted = weighted_estimates(info, outputs, examples, data.grades)
    if weighted is not None:
        from fieldeval.report.production import render_production

        render_production(weighted, console)
    slices = slice_results(outputs, examples, info.candidates)
    if slices:
        from fieldeval.report.slices import render_slices

        render_slices(slices, info.candidates, console)
    from fieldeval.results.classification import classification_report

    classes = classification_report(info.suite, outputs, examples, info.candidates)
    if classes is not None:
        from fieldeval.report.classification import render_classification

        render_classification(classes, console)
    abstention = abstention_of(data)  # shown when an output did not answer, or when asked for
    if abstention.shown:
        from fieldeval.report.abstention import render_abstention

        render_abstention(abstention, console)
    if info.repeats > 1:
        render_flaky(stability(outputs), info.repeats, console)
    from fieldeval.results.rubric import run_rubric

    rubric = run_rubric(info)
    if rubric:
        from fieldeval.report.rubric import render_rubric, render_side_by_side
        from fieldeval.results.rubric import (
            judge_warnings,
            rubric_calibration,
            rubric_results,
            side_by_side,
        )
        from fieldeval.store.grade_store import GradeStore

        results = rubric_results(data.grades, rubric)
        warnings = judge_warnings(results, rubric_calibration(data.grades, rubric, resamples=0))
        render_rubric(results, console, warnings)
        pairs = GradeStore(store).pair_grades(info.id)
        render_side_by_side(side_by_side(pairs, rubric), console)
