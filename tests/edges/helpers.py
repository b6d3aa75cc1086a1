"""What the generator tests share: a short hand-written complaint, real rows, a context."""

from __future__ import annotations

import csv
import functools
import random
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from fieldeval.edges.registry import GENERATORS
from fieldeval.edges.variant import GeneratorContext, Variant
from fieldeval.records.example import Dataset, Example
from fieldeval.records.run import RunInfo
from fieldeval.store import Store
from fieldeval.suite.loader import LoadedSuite

DEMO = Path(__file__).parents[2] / "examples" / "complaints" / "complaints.csv"
TASK = (
    "Summarize a customer complaint email in under 100 words, preserving the customer's"
    " core issue and their emotional tone."
)

SEED = Example(
    id="c1",
    fields={"narrative": "…"},
    input=(
        "I was charged a $35 late fee on 03/04/2024 by Acme Bank. Nobody at the branch will"
        " refund it. I have banked there for 10 years and I am furious."
    ),
    slices={"product": "Checking account"},
)
OTHERS = (
    Example(
        id="o1",
        fields={},
        input="My card was declined at the pharmacy although my balance was fine. I felt awful.",
        reference="A customer's card was wrongly declined at a pharmacy, which embarrassed them.",
    ),
    Example(
        id="o2",
        fields={},
        input="The mobile app logs me out every few minutes, so I cannot pay my bills on time.",
    ),
    Example(
        id="o3",
        fields={},
        input="I disputed a charge from a hotel in March and never heard back. Please check.",
        reference="The customer's hotel charge dispute from March has had no answer.",
    ),
    Example(
        id="o4",
        fields={},
        input="Someone opened a credit card in my name. The bank says it cannot help me.",
    ),
)


def translator(text: str, instruction: str) -> str:
    """A plain Python stand-in for the suite's translator.

    It tags the text with the language asked for and, like a real model, answers another
    instruction (another register) with another text.
    """
    language = instruction.split(" into ")[1].split(".")[0] if " into " in instruction else "?"
    return f"[{language}/{len(instruction)}] {text}"


def context(
    *,
    others: Sequence[Example] = OTHERS,
    rewrite: Callable[[str, str], str] | None = None,
    persona: str | None = None,
    other_language: str = "fr",
    **options: Any,
) -> GeneratorContext:
    return GeneratorContext(
        task=TASK,
        scope="summaries of customer complaints for the support team",
        others=others,
        reply_language="en",
        other_language=other_language,
        options=options,
        rewrite=rewrite,
        persona=persona,
    )


def run(
    name: str,
    seed: Example = SEED,
    *,
    rng: int = 7,
    count: int = 1,
    ctx: GeneratorContext | None = None,
) -> list[Variant]:
    generator = GENERATORS[name]
    if ctx is None:
        ctx = context(rewrite=translator if generator.needs_model else None)
    return generator(seed, random.Random(rng), ctx, count)


@functools.cache
def demo_rows() -> tuple[Example, ...]:
    """The demo's real complaints (examples/complaints/complaints.csv)."""
    with DEMO.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    return tuple(
        Example(id=r["id"], fields=r, input=r["narrative"], slices={"product": r["product"]})
        for r in rows
    )


def edge_dataset(loaded: LoadedSuite, store: Store) -> Dataset:
    """The suite's dataset with its edge-case variants, as the pipeline runs it."""
    from fieldeval.data.dataset import load_dataset
    from fieldeval.edges.dataset import with_edges

    dataset = load_dataset(loaded.suite.dataset, base_dir=loaded.base_dir)
    return with_edges(loaded, store, dataset).dataset


def run_with_edges(loaded: LoadedSuite, store: Store, **options: Any) -> RunInfo:
    """`run_suite` on the suite's examples and their edge-case variants; nothing graded."""
    from fieldeval.runner import run_suite

    return run_suite(loaded, store, dataset=edge_dataset(loaded, store), **options)


async def run_with_edges_async(loaded: LoadedSuite, store: Store, **options: Any) -> RunInfo:
    """`run_with_edges` from a running event loop."""
    import asyncio

    from fieldeval.runner import run_suite_async

    dataset = await asyncio.to_thread(edge_dataset, loaded, store)
    return await run_suite_async(loaded, store, dataset=dataset, **options)
