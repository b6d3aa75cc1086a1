"""`validate`: everything a run would read, read now, without calling a model."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fieldeval.pipeline.preparation import SuiteSource


@dataclass(frozen=True)
class Validation:
    """What a valid suite holds, and what it should still fix (`warnings`)."""

    task: str
    examples: int
    dataset_hash: str
    candidates: int
    checks: int
    edge_generators: int | None = None  # None: the suite has no `edges:`
    offline_variants: int = 0  # variants made without the translator
    warnings: tuple[str, ...] = field(default_factory=tuple)


def validate(suite: SuiteSource) -> Validation:
    """Load the suite and its data, compile its checks, render every template on every example.

    Raises the suite's or data's error (file and line named) at the first problem.
    """
    from fieldeval.checks import compile_checks, render_templates
    from fieldeval.data.dataset import load_dataset
    from fieldeval.pipeline.preparation import as_loaded
    from fieldeval.providers import providers
    from fieldeval.runner.plan import request_for
    from fieldeval.suite.loader import locate_template
    from fieldeval.suite.template import TemplateFailed

    loaded = as_loaded(suite)
    spec = loaded.suite
    dataset = load_dataset(spec.dataset, base_dir=loaded.base_dir)
    try:
        # Every template a run renders, on every example: prompts (and what a provider
        # renders from them), then checks.
        for candidate in spec.candidates:
            requests = [request_for(spec, candidate, example) for example in dataset.examples]
            providers()[candidate.provider].render_requests(candidate, requests)
        render_templates(compile_checks(spec.checks, base_dir=loaded.base_dir), dataset.examples)
    except TemplateFailed as error:
        raise locate_template(loaded, error) from error
    warnings: list[str] = []
    for candidate in spec.candidates:
        # A kind's own look (a recorded candidate's file, a key's variable): a bad file
        # fails here, not after the paid calls; a missing key is a warning.
        warnings += providers()[candidate.provider].check(candidate, base_dir=loaded.base_dir)
    if "TODO" in spec.task.description:
        warnings.append(
            "task.description still has a TODO: the task statement is what every grade is "
            "measured against, so write it down"
        )
    validation = Validation(
        task=spec.task.name,
        examples=len(dataset),
        dataset_hash=dataset.content_hash,
        candidates=len(spec.candidates),
        checks=len(spec.checks),
        warnings=tuple(warnings),
    )
    if spec.edges is None:
        return validation
    from fieldeval.edges.expand import input_field, make_variants, planned_generators

    input_field(spec)
    planned = planned_generators(spec)
    offline = [p.spec.name for p in planned if not p.generator.needs_model]
    made = make_variants(dataset, spec, only_generators=offline) if offline else []
    return replace(validation, edge_generators=len(planned), offline_variants=len(made))
