"""What each command does, over the library; `main.py` only declares the options."""

from __future__ import annotations

import contextlib
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING

from rich.table import Table

from fieldeval.cli.console import console, count
from fieldeval.errors import ConfigError, Interrupted, UserError

if TYPE_CHECKING:
    from fieldeval.cli.progress import RunProgress
    from fieldeval.data.example import Dataset
    from fieldeval.store import RunInfo, Store
    from fieldeval.suite.loader import LoadedSuite


def init(data: Path, out: Path, *, force: bool) -> None:
    from fieldeval.files import write_atomically
    from fieldeval.suite.scaffold import scaffold_suite

    if out.exists() and not force:
        raise UserError(f"{out} already exists", hint="pass --force to overwrite, or --out PATH")
    text = scaffold_suite(data, suite_dir=out.resolve().parent)
    write_atomically(out, text)  # never leave a half-written suite behind
    console.print(
        f"wrote [bold]{out}[/]: write the task statement, then `fieldeval validate {out}`"
    )


def validate(suite_path: Path) -> None:
    from fieldeval.data.dataset import load_dataset
    from fieldeval.grading import compile_checks
    from fieldeval.providers.recorded import read_recorded
    from fieldeval.runner.plan import request_for
    from fieldeval.suite.loader import load_suite
    from fieldeval.suite.schema import RecordedCandidate

    loaded = load_suite(suite_path)
    suite = loaded.suite
    dataset = load_dataset(suite.dataset, base_dir=loaded.base_dir)
    compile_checks(suite.checks, base_dir=loaded.base_dir)
    for candidate in suite.candidates:
        for example in dataset.examples:
            request_for(suite, candidate, example)  # every template renders on every example
        if isinstance(candidate, RecordedCandidate):
            read_recorded(candidate, base_dir=loaded.base_dir)  # a bad file fails here, not later
    edge_line = _check_edges(loaded, dataset)
    console.print(
        f"[green]ok[/] {suite_path}: task {suite.task.name!r}, {count(len(dataset), 'example')} "
        f"({dataset.content_hash[:17]}…), {count(len(suite.candidates), 'candidate')}, "
        f"{count(len(suite.checks), 'check')}{edge_line}"
    )
    if "TODO" in suite.task.description:
        console.print(
            "[yellow]warning[/]: task.description still has a TODO: the task statement is "
            "what every grade is measured against, so write it down"
        )


def _check_edges(loaded: LoadedSuite, dataset: Dataset) -> str:
    """Make the suite's edge cases (not those needing the translator) to check them."""
    if loaded.suite.edges is None:
        return ""
    from fieldeval.edges.expand import input_field, make_variants, planned_generators

    input_field(loaded.suite)
    planned = planned_generators(loaded.suite)
    offline = [p.spec.name for p in planned if not p.generator.needs_model]
    made = make_variants(dataset, loaded.suite, only_generators=offline) if offline else []
    return (
        f", {count(len(planned), 'edge generator')}"
        f" ({count(len(made), 'variant')} without the translator)"
    )


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
    from fieldeval.data.dataset import load_dataset
    from fieldeval.runner import run_suite
    from fieldeval.store import Store
    from fieldeval.suite.loader import load_suite
    from fieldeval.suite.schema import Sample

    loaded = load_suite(suite_path)
    spec = loaded.suite.dataset
    if sample is not None:
        spec = spec.model_copy(update={"sample": Sample(n=sample, stratify=stratify, seed=seed)})
    elif stratify is not None:
        raise ConfigError("--stratify needs --sample N")
    dataset = load_dataset(spec, base_dir=loaded.base_dir)
    store = Store.open(db)
    try:
        previous = None
        if resume:
            previous = (
                store.run(resume_run) if resume_run else store.latest_run(loaded.suite.task.name)
            )
            if previous is None:
                raise UserError(f"no earlier run of {loaded.suite.task.name!r} to resume")
            if previous.status == "finished":
                console.print(f"run {previous.id} is already finished; nothing to resume")
        with_edges = edges and loaded.suite.edges is not None
        if with_edges:
            dataset = _expand(loaded, store, dataset, offline=dry_run)
        if dry_run:
            from fieldeval.report.estimate import render_estimate
            from fieldeval.runner.estimate import estimate_run

            estimate = estimate_run(
                loaded,
                store,
                dataset,
                repeats=repeats,
                use_cache=use_cache,
                resume=previous,
                judge=judge,
            )
            render_estimate(estimate, console)
            return
        progress: AbstractContextManager[RunProgress | None] = (
            contextlib.nullcontext() if quiet else _progress()
        )
        try:
            with progress as on_event:
                info = run_suite(
                    loaded,
                    store,
                    dataset=dataset,
                    resume=previous,
                    repeats=repeats,
                    use_cache=use_cache,
                    on_event=on_event,
                )
        except KeyboardInterrupt:
            raise Interrupted(
                "every finished result is stored",
                hint=f"continue with `fieldeval run {suite_path} --resume`",
            ) from None
        if judge and _judges(loaded):
            from fieldeval.cli.grading_commands import render_judge_report, run_judge

            render_judge_report(run_judge(store, loaded, info, quiet=quiet))
        render_run(store, info)
        if with_edges:
            from fieldeval.cli.edges_command import grade_and_show

            after_run = loaded.suite.judge is not None and loaded.suite.judge.after_run
            grade_and_show(store, loaded, info.id, judge=judge and after_run, quiet=quiet)
        console.print(
            f"results stored in [bold]{store.url}[/] as run [bold]{info.id}[/]", soft_wrap=True
        )
    finally:
        store.close()


def _expand(loaded: LoadedSuite, store: Store, dataset: Dataset, *, offline: bool) -> Dataset:
    """The dataset and its edge-case variants, said in one line."""
    from fieldeval.runner.edges import with_edges

    expansion = with_edges(loaded, store, dataset, offline=offline)
    line = (
        f"edges: {count(expansion.variants, 'variant')} added to {count(len(dataset), 'example')}"
    )
    if expansion.rewrites_called or expansion.rewrites_cached:
        line += (
            f"; translator: {expansion.rewrites_called} calls,"
            f" {expansion.rewrites_cached} from the cache"
        )
    if expansion.rewrites_missing:
        line += (
            f"; {expansion.rewrites_missing} texts not yet translated (a dry run calls no model)"
        )
    console.print(line)
    return expansion.dataset


def _judges(loaded: LoadedSuite) -> bool:
    """The suite has a judge and a criterion for it to grade after the run."""
    from fieldeval.runner.estimate import judged_criteria

    return bool(judged_criteria(loaded.suite))


def _progress() -> RunProgress:
    from fieldeval.cli.progress import RunProgress

    return RunProgress(console)


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
    from fieldeval.store import Store

    store = Store.open(db)
    try:
        info = store.run(run_id)
        render_run(store, info)
        from fieldeval.analysis.edges import edge_report

        edges = edge_report(store, info.id)
        if edges is not None:
            from fieldeval.report.edges import render_edges

            render_edges(edges, console)
    finally:
        store.close()


def render_run(store: Store, info: RunInfo) -> None:
    """The summary, then candidates paired (2+ candidates), then flaky examples (repeats)."""
    from fieldeval.analysis.candidates import compare_candidates
    from fieldeval.analysis.edges import clean_view
    from fieldeval.analysis.repeats import stability
    from fieldeval.analysis.summary import example_clusters, summarize
    from fieldeval.report.terminal import render_candidate_pairs, render_flaky, render_summary

    examples = store.examples(info.dataset_hash)
    # A run with edge cases: the summary is of the clean examples; `fieldeval edges` has the rest.
    info, outputs = clean_view(info, store.outputs(info.id), examples)
    clusters = example_clusters(info, examples)
    render_summary(summarize(info, outputs, clusters=clusters), console)
    if len(info.candidates) > 1:
        render_candidate_pairs(compare_candidates(outputs, info.candidates), console)
    if info.repeats > 1:
        render_flaky(stability(outputs), info.repeats, console)
    from fieldeval.analysis.rubric import run_rubric

    rubric = run_rubric(info)
    if rubric:
        from fieldeval.analysis.rubric import rubric_results, side_by_side
        from fieldeval.report.rubric import render_rubric, render_side_by_side
        from fieldeval.store.grade_store import GradeStore

        grades = GradeStore(store)
        render_rubric(rubric_results(grades.grades(info.id), rubric), console)
        render_side_by_side(side_by_side(grades.pair_grades(info.id), rubric), console)
