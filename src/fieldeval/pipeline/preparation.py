"""Before any call: the suite, the sample of its dataset, the run to resume, the edge cases.

`evaluate` and the dry run's `estimate` share this step, so both see the same examples.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from fieldeval.data.dataset import check_suite_fields, load_dataset
from fieldeval.errors import ConfigError, UserError
from fieldeval.records.example import Dataset
from fieldeval.records.run import RunInfo
from fieldeval.store import Store
from fieldeval.suite.loader import LoadedSuite, load_suite
from fieldeval.suite.schema import Sample

if TYPE_CHECKING:
    from fieldeval.edges.dataset import Expansion
    from fieldeval.pipeline.observer import Observer

SuiteSource = str | Path | LoadedSuite


@dataclass(frozen=True)
class Sampling:
    """`--sample N`: that many examples, drawn with `seed`, stratified by a field if named."""

    n: int | None = None
    stratify: str | None = None
    seed: int = 0


@dataclass(frozen=True)
class Prepared:
    loaded: LoadedSuite
    dataset: Dataset  # the sample, with its edge-case variants when the suite has `edges:`
    previous: RunInfo | None  # the run to resume
    expansion: Expansion | None  # None: no edge cases asked for


def as_loaded(suite: SuiteSource) -> LoadedSuite:
    return suite if isinstance(suite, LoadedSuite) else load_suite(Path(suite))


def prepare(
    suite: SuiteSource,
    store: Store,
    *,
    sampling: Sampling,
    resume: bool | str,
    edges: bool,
    offline: bool,
    observer: Observer,
) -> Prepared:
    """The suite, its examples and the run to resume, as `fieldeval run` would use them.

    `resume`: False, True (the suite's latest run) or a run id. With `offline`, edge cases
    that need the translator use only what it answered before (a dry run calls no model).
    """
    loaded = as_loaded(suite)
    spec = loaded.suite.dataset
    if sampling.n is not None:
        # `--sample N` alone keeps the suite's own stratification: it changes the size only.
        stratify = sampling.stratify or (spec.sample.stratify if spec.sample else None)
        spec = spec.model_copy(
            update={"sample": Sample(n=sampling.n, stratify=stratify, seed=sampling.seed)}
        )
    elif sampling.stratify is not None:
        raise ConfigError("--stratify needs --sample N")
    dataset = load_dataset(spec, base_dir=loaded.base_dir)
    check_suite_fields(loaded.suite, dataset)
    previous = _to_resume(store, loaded, resume)
    if previous is not None and previous.status == "finished":
        observer.resuming_finished(previous)
    expansion = None
    if edges and loaded.suite.edges is not None:
        from fieldeval.edges.dataset import with_edges  # the generators: only when asked for

        expansion = with_edges(loaded, store, dataset, offline=offline)
        observer.edges_added(expansion, len(dataset))
        dataset = expansion.dataset
    return Prepared(loaded, dataset, previous, expansion)


def _to_resume(store: Store, loaded: LoadedSuite, resume: bool | str) -> RunInfo | None:
    if resume is False:
        return None
    name = loaded.suite.task.name
    previous = store.run(resume) if isinstance(resume, str) else store.latest_run(name)
    if previous is None:
        raise UserError(f"no earlier run of {name!r} to resume")
    return previous
