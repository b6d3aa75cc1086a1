"""docs/edges.md shows what the generators really make of the demo row it quotes."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from tests.edges.helpers import demo_rows

from fieldeval.edges.expand import variant_seed
from fieldeval.edges.registry import GENERATORS, describe
from fieldeval.edges.variant import GeneratorContext

DOC = Path(__file__).parents[2] / "docs" / "edges.md"
ROW = "10117336"
DEMO_TASK = (
    "Summarize a customer complaint email in under 100 words, preserving the customer's"
    " core issue and their emotional tone, for the support agent who picks the ticket up.\n"
)


def _flat(text: str) -> str:
    return " ".join(text.split())


def _made(name: str, row_id: str = ROW, count: int = 1) -> list[str]:
    rows = demo_rows()
    seed = next(r for r in rows if r.id == row_id)
    context = GeneratorContext(
        task=DEMO_TASK,
        scope=DEMO_TASK,
        others=[r for r in rows if r.id != seed.id],
        reply_language="en",
        other_language="fr",
        options={},
    )
    rng = random.Random(variant_seed(0, name, seed.id))
    return [v.input for v in GENERATORS[name](seed, rng, context, count)]


@pytest.mark.parametrize(
    "name",
    [
        "typos",
        "ocr_noise",
        "case_unicode",
        "mixed_language",
        "truncated",
        "hostile",
        "out_of_scope",
        "missing_evidence",
        "injection",
    ],
)
def test_the_documented_example_is_the_generators_output(name: str) -> None:
    (made,) = _made(name)
    assert _flat(made) in _flat(DOC.read_text(encoding="utf-8"))


def test_the_documented_bad_scan_is_the_generators_output() -> None:
    (made,) = _made("bad_scan", "11311969")
    assert made in DOC.read_text(encoding="utf-8")


def test_every_generator_is_documented() -> None:
    doc = DOC.read_text(encoding="utf-8")
    for name, expect, _, _ in describe():
        assert f"#### `{name}`" in doc
        assert f"| `{name}`" in doc and f"`{expect}`" in doc
