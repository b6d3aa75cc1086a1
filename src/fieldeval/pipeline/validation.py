"""`validate`: everything a run would read, read now, without calling a model."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fieldeval.pipeline.preparation import SuiteSource
    from fieldeval.records.example import Dataset, Example


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


# An input past this many characters (about 25,000 tokens at 4 a token) overflows many
# models' context, and the 4,096 tokens of the bundled local model many times over.
LONG_INPUT_CHARS = 100_000
_NAMED = 5  # example ids named in a warning; the rest are counted


def input_warnings(examples: Sequence[Example], field: str | None) -> list[str]:
    """Empty inputs, and inputs too long for most models' context: both pass the schema,
    and both waste a run (a call per candidate on nothing, or an error per call)."""
    where = f"`{field}`" if field else "input"
    found = []
    empty = [e.id for e in examples if not e.input.strip()]
    if empty:
        found.append(
            f"{len(empty)} example{'s have' if len(empty) != 1 else ' has'} an empty {where}"
            f" ({_ids(empty)}): every candidate will be asked about nothing; drop the rows"
            " or fill them in"
        )
    long = [(e.id, len(e.input)) for e in examples if len(e.input) > LONG_INPUT_CHARS]
    if long:
        longest = max(size for _, size in long)
        found.append(
            f"{len(long)} example{'s have' if len(long) != 1 else ' has'} {where} longer than"
            f" {LONG_INPUT_CHARS:,} characters, the longest {longest:,} (about"
            f" {longest // 4:,} tokens; {_ids([i for i, _ in long])}): past many models'"
            " context (the local model's is 4,096 tokens by default); truncate or summarise them"
        )
    return found


def duplicate_warnings(dataset: Dataset) -> list[str]:
    """Rows dropped as copies of another, and inputs the data holds more than once: the first
    silently shrink the set, the second count twice in every rate or contradict each other."""
    found = []
    dropped = dataset.identical_rows
    if dropped:
        found.append(
            f"{len(dropped)} row{'s repeat' if len(dropped) != 1 else ' repeats'} an earlier"
            f" row in every field and {'were' if len(dropped) != 1 else 'was'} dropped"
            f" ({_ids(list(dropped))}): each example counts once"
        )
    by_input: dict[str, list[Example]] = {}
    for example in dataset.examples:
        if example.input.strip():
            by_input.setdefault(" ".join(example.input.split()), []).append(example)
    repeated = [group for group in by_input.values() if len(group) > 1]
    conflicting = [g for g in repeated if len({e.reference for e in g}) > 1]
    same = [g for g in repeated if len({e.reference for e in g}) == 1]
    if conflicting:
        found.append(
            f"{len(conflicting)} input{'s appear' if len(conflicting) != 1 else ' appears'} in"
            " more than one example with different references"
            f" ({_ids(['='.join(e.id for e in g) for g in conflicting])}): the data answers"
            " the same input two ways, so a candidate can pass only one of them; fix the"
            " references or drop a row"
        )
    if same:
        found.append(
            f"{len(same)} input{'s appear' if len(same) != 1 else ' appears'} in more than one"
            f" example ({_ids(['='.join(e.id for e in g) for g in same])}): each copy counts"
            " in every rate; drop the copies unless the repetition is real traffic"
        )
    return found


def _ids(ids: Sequence[str]) -> str:
    shown = ", ".join(ids[:_NAMED])
    return shown if len(ids) <= _NAMED else f"{shown} and {len(ids) - _NAMED} more"


def validate(suite: SuiteSource) -> Validation:
    """Load the suite and its data, compile its checks, render every template on every example.

    Raises the suite's or data's error (file and line named) at the first problem.
    """
    from fieldeval.checks import compile_checks, render_templates
    from fieldeval.data.dataset import check_suite_fields, load_dataset
    from fieldeval.pipeline.preparation import as_loaded
    from fieldeval.providers import candidate_warnings, providers
    from fieldeval.runner.plan import request_for
    from fieldeval.suite.loader import locate_template
    from fieldeval.suite.template import TemplateFailed

    loaded = as_loaded(suite)
    spec = loaded.suite
    dataset = load_dataset(spec.dataset, base_dir=loaded.base_dir)
    check_suite_fields(loaded.suite, dataset)
    try:
        # Every template a run renders, on every example: prompts (and what a provider
        # renders from them), then checks.
        for candidate in spec.candidates:
            requests = [request_for(spec, candidate, example) for example in dataset.examples]
            providers()[candidate.provider].render_requests(candidate, requests)
        render_templates(compile_checks(spec.checks, base_dir=loaded.base_dir), dataset.examples)
    except TemplateFailed as error:
        raise locate_template(loaded, error) from error
    # A kind's own look (a recorded candidate's file, a key's variable): a bad file fails
    # here, not after the paid calls; a missing key is a warning.
    warnings = candidate_warnings(
        spec.candidates, base_dir=loaded.base_dir, example_ids=[e.id for e in dataset.examples]
    )
    warnings += input_warnings(dataset.examples, spec.dataset.input)
    warnings += duplicate_warnings(dataset)
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
    from fieldeval.edges.expand import (
        fitting,
        input_field,
        make_variants,
        planned_generators,
    )

    input_field(spec)
    planned = planned_generators(spec)
    offline = [p.spec.name for p in planned if not p.generator.needs_model]
    made = make_variants(dataset, spec, only_generators=offline) if offline else []
    unfit = [f"edges: {note}" for note in fitting(spec, dataset).notes()[1:]]
    return replace(
        validation,
        edge_generators=len(planned),
        offline_variants=len(made),
        warnings=(*validation.warnings, *unfit),
    )
