"""A dataset with its edge cases: the team's examples as they are, then variants of some.

Each variant is an `Example` whose input field holds the variant's text and whose extra
fields link it to its clean original and say what a good reply does:

    edge         the generator's name           edge_expect  the expected behaviour
    edge_of      the clean original's id        edge_oracle  what the oracles need (JSON)
    edge_index   the variant's number, from 0   edge_prefix  messages sent before the prompt
    edge_note    what was done, in a few words

Its slices are the original's plus `edge: <generator>`; the originals get `edge: clean`.

Every generator draws from its own `random.Random`, seeded by the suite's `edges.seed`,
the generator's name and the seed example's id, so the same suite makes the same variants,
and adding or removing a generator leaves every other generator's variants as they were.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from fieldeval.canonical import canonical_json
from fieldeval.data.dataset import examples_hash
from fieldeval.data.sampling import sample
from fieldeval.edges.fit import Fitted, fit, task_kind, unfit
from fieldeval.edges.registry import GENERATORS
from fieldeval.edges.variant import Generator, GeneratorContext, Variant
from fieldeval.errors import SuiteError
from fieldeval.records.example import Dataset, Example
from fieldeval.suite.edges import Edges, Expectation, GeneratorSpec, TaskKind
from fieldeval.suite.labels import infer_labels
from fieldeval.suite.schema import Suite

CLEAN = "clean"  # the `edge` slice of the clean originals
EDGE_SLICE = "edge"

Rewrite = Callable[[str, str], str]


@dataclass(frozen=True)
class Planned:
    """A generator the suite asks for, with its entry in the suite."""

    spec: GeneratorSpec
    generator: Generator
    field: str  # "edges.generators[i]", for messages


def planned_generators(suite: Suite) -> list[Planned]:
    """The suite's generators, each name checked against the registry (SuiteError if not)."""
    edges = _edges(suite)
    planned: list[Planned] = []
    seen: dict[str, str] = {}
    for index, spec in enumerate(edges.generators):
        field = f"edges.generators[{index}]"
        found = GENERATORS.get(spec.name)
        if found is None:
            guesses = difflib.get_close_matches(spec.name, list(GENERATORS), n=1)
            guess = f"did you mean {guesses[0]!r}? " if guesses else ""
            raise SuiteError(
                f"{field}.name: there is no generator {spec.name!r}",
                hint=f"{guess}the generators are: {', '.join(sorted(GENERATORS))}"
                " (`fieldeval edges list` describes them)",
            )
        if spec.name in seen:
            raise SuiteError(
                f"{field}.name: generator {spec.name!r} is listed twice (also {seen[spec.name]})",
                hint="list each generator once; `variants:` sets how many it makes",
            )
        seen[spec.name] = field
        if found.needs_model and edges.translator is None:
            raise SuiteError(
                f"{field}.name: generator {spec.name!r} rewrites text with a model, and the"
                " suite names none",
                hint="set `edges.translator` to the id of a candidate that can translate",
            )
        planned.append(Planned(spec, found, field))
    return planned


@dataclass(frozen=True)
class Fitting:
    """The task's kind, where it came from, and each listed generator fitted to it."""

    kind: TaskKind
    source: str
    generators: tuple[Fitted, ...]

    @property
    def unfit(self) -> list[tuple[str, str]]:
        return unfit(self.generators)

    def expect(self, name: str) -> Expectation | None:
        return next((f.expect for f in self.generators if f.spec.name == name), None)

    def notes(self) -> list[str]:
        """The kind, and each generator not run with the reason, as the CLI says them."""
        lines = [f"task kind: {self.kind} ({self.source})"]
        lines += [
            f"{name} does not fit a {self.kind} and makes no variants: {why}"
            " (give it `expect:` in edges.generators to run it anyway)"
            for name, why in self.unfit
        ]
        return lines


def fitting(suite: Suite, dataset: Dataset | None) -> Fitting:
    """The suite's generators fitted to the task's kind (`edges.fit`)."""
    kind, source = task_kind(suite, dataset)
    fitted = tuple(
        fit(kind, plan.spec, plan.generator.expect) for plan in planned_generators(suite)
    )
    return Fitting(kind, source, fitted)


def input_field(suite: Suite) -> str:
    """The dataset field a variant's text goes in: the suite's `dataset.input`."""
    name = suite.dataset.input
    if name is None:
        raise SuiteError(
            "edges: the suite's `dataset.input` is not set, so there is no field to put a"
            " variant's text in",
            hint="set `dataset.input` to the field your prompt shows as the example's input",
        )
    return name


def seed_examples(dataset: Dataset, suite: Suite) -> tuple[Example, ...]:
    """The examples variants are made of: `edges.examples` of them drawn with `edges.seed`,
    in proportion to `seed_stratum` (so six seeds of a sentiment set are not six negatives)."""
    edges = suite.edges
    if edges is None or edges.examples is None:
        return dataset.examples
    field = seed_stratum(suite, dataset)
    if field is not None and not any(field in e.fields for e in dataset.examples):
        raise SuiteError(
            f"edges.stratify names field {field!r}, which the dataset does not have",
            hint="name one of the data's fields, or leave it out to draw by the reference label",
        )
    return sample(dataset.examples, edges.examples, stratify=field, seed=edges.seed)


def seed_stratum(suite: Suite, dataset: Dataset) -> str | None:
    """`edges.stratify`; else the dataset sample's; else the reference field when it holds
    labels (declared, or looking like them); else the first slice; else none."""
    spec = suite.dataset
    if suite.edges is not None and suite.edges.stratify is not None:
        return suite.edges.stratify
    if spec.sample is not None and spec.sample.stratify is not None:
        return spec.sample.stratify
    labels = suite.labels
    if spec.reference is not None and (labels is None or labels.values or labels.infer):
        declared = labels is not None and bool(labels.values)
        if declared or infer_labels([e.reference for e in dataset.examples]) is not None:
            return spec.reference
    return spec.slices[0] if spec.slices else None


def variant_seed(seed: int, generator: str, example_id: str) -> int:
    """The seed of one generator's randomness on one example."""
    digest = hashlib.sha256(canonical_json([seed, generator, example_id]).encode()).digest()
    return int.from_bytes(digest[:8], "big")


def needs_rewrite(suite: Suite) -> bool:
    """The suite names a translator: every generator that can use one is given it.

    Not only those that need one (`needs_model`): `mixed_language` translates when it can,
    so whether it does must not hang on which other generators the suite lists.
    """
    return suite.edges is not None and suite.edges.translator is not None


def make_variants(
    dataset: Dataset,
    suite: Suite,
    *,
    rewrite: Rewrite | None = None,
    only_examples: Sequence[str] = (),
    only_generators: Sequence[str] = (),
) -> list[tuple[Example, Variant]]:
    """Every (seed example, variant) the suite asks for, optionally narrowed, in order.

    A generator that does not fit the task's kind makes none (`edges.fit`)."""
    edges = _edges(suite)
    fitted = fitting(suite, dataset)
    planned = [p for p in planned_generators(suite) if fitted.expect(p.spec.name) is not None]
    if only_generators:
        planned = [p for p in planned if p.spec.name in only_generators]
    seeds = seed_examples(dataset, suite)
    if only_examples:  # any example, drawn or not: its variants are the same either way
        seeds = tuple(e for e in dataset.examples if e.id in only_examples)
    made: list[tuple[Example, Variant]] = []
    for seed in seeds:
        others = tuple(e for e in dataset.examples if e.id != seed.id)
        for plan in planned:
            if plan.generator.needs_model and rewrite is None:
                raise ValueError(f"generator {plan.spec.name!r} needs `rewrite`")
            context = GeneratorContext(
                task=suite.task.description,
                scope=edges.scope or suite.task.description,
                others=others,
                reply_language=edges.reply_language,
                other_language=edges.other_language,
                options=plan.spec.options,
                rewrite=rewrite,
                expect=fitted.expect(plan.spec.name),
            )
            rng = random.Random(variant_seed(edges.seed, plan.spec.name, seed.id))
            for variant in plan.generator(seed, rng, context, plan.spec.variants):
                made.append((seed, variant))
    return made


def expand(dataset: Dataset, suite: Suite, *, rewrite: Rewrite | None = None) -> Dataset:
    """The dataset's examples, each sliced `edge: clean`, then every variant the suite asks for.

    `rewrite(text, instruction)` is the translator, needed only by generators that use a
    model (`needs_model`). A suite without `edges:` gets its dataset back unchanged.
    """
    if suite.edges is None:
        return dataset
    field = input_field(suite)
    originals = tuple(_clean(example) for example in dataset.examples)
    variants = tuple(
        variant_example(seed, variant, field)
        for seed, variant in make_variants(dataset, suite, rewrite=rewrite)
    )
    known = {example.id for example in originals}
    for example in variants:
        if example.id in known:
            raise SuiteError(
                f"edges: variant id {example.id!r} is also the id of another example",
                hint="rename that example: ids with '~' are reserved for edge variants",
            )
        known.add(example.id)
    examples = originals + variants
    return Dataset(
        path=dataset.path,
        examples=examples,
        content_hash=examples_hash(examples),
        source_rows=dataset.source_rows,
    )


def variant_example(seed: Example, variant: Variant, field: str) -> Example:
    """The example a variant is run as; its fields say what it is a variant of and expects."""
    fields: dict[str, Any] = {
        **seed.fields,
        field: variant.input,
        "edge": variant.generator,
        "edge_of": seed.id,
        "edge_index": variant.index,
        "edge_expect": variant.expect,
        "edge_oracle": _json(variant.oracle, variant),
        "edge_note": variant.note,
    }
    prefix = tuple(dict(message) for message in variant.prefix_messages)
    if prefix:
        fields["edge_prefix"] = [dict(message) for message in prefix]
    return Example(
        id=variant.id,
        fields=fields,
        input=variant.input,
        reference=seed.reference,
        slices={**(seed.slices or {}), EDGE_SLICE: variant.generator},
        source=f"{seed.source or seed.id} ({variant.generator} #{variant.index})",
        prefix_messages=prefix,
    )


def variant_of(input_text: str, fields: Mapping[str, Any]) -> Variant | None:
    """The variant an example was made from, read back from its fields; None for an original.

    `input_text` is the example's input (the variant's text): `variant_example` read
    backwards, for grading a stored run.
    """
    generator, original = fields.get("edge"), fields.get("edge_of")
    if not isinstance(generator, str) or not isinstance(original, str):
        return None
    oracle = fields.get("edge_oracle")
    prefix = fields.get("edge_prefix")
    return Variant(
        generator=generator,
        index=int(fields.get("edge_index", 0)),
        original_id=original,
        input=input_text,
        expect=fields["edge_expect"],
        prefix_messages=tuple(dict(m) for m in prefix) if isinstance(prefix, list) else (),
        oracle=dict(oracle) if isinstance(oracle, Mapping) else {},
        note=str(fields.get("edge_note", "")),
    )


def _clean(example: Example) -> Example:
    slices = {**(example.slices or {}), EDGE_SLICE: CLEAN}
    return Example(
        id=example.id,
        fields=example.fields,
        input=example.input,
        reference=example.reference,
        slices=slices,
        source=example.source,
        prefix_messages=example.prefix_messages,
    )


def _edges(suite: Suite) -> Edges:
    if suite.edges is None:
        raise SuiteError("the suite has no `edges:` section", hint="see docs/edges.md")
    return suite.edges


def _json(oracle: Any, variant: Variant) -> Any:
    """The oracle as plain JSON data (tuples become lists), as the store will give it back."""
    try:
        return json.loads(canonical_json(dict(oracle)))
    except (TypeError, ValueError) as error:
        raise ValueError(
            f"generator {variant.generator!r} made an oracle that is not JSON data: {error}"
        ) from error
