"""`edges:` in a suite: the dataset's examples, then variants linked to their originals."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from fieldeval.canonical import canonical_json
from fieldeval.data.dataset import load_dataset
from fieldeval.edges.expand import CLEAN, expand, make_variants, variant_example, variant_of
from fieldeval.errors import SuiteError
from fieldeval.records.example import Dataset, Example
from fieldeval.suite.loader import LoadedSuite, SuiteValidationError, load_suite

ROWS = [
    ("a1", "Card", "I was charged a $35 late fee on 03/04/2024 and the branch will not refund it."),
    ("a2", "Loan", "My loan payment of $410 was applied to the wrong account in May. Fix it now."),
    ("a3", "Card", "The app logs me out every few minutes so I cannot pay my bills on time."),
    ("a4", "Mortgage", "Escrow went up by $220 a month with no letter explaining why at all."),
]


def write_suite(folder: Path, edges: dict[str, Any] | None, **dataset: Any) -> Path:
    lines = ["id,product,text"] + [f'{i},{p},"{t}"' for i, p, t in ROWS]
    (folder / "data.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    suite: dict[str, Any] = {
        "task": {"name": "t", "description": "Summarise the complaint.", "prompt": "{{ text }}"},
        "dataset": {"path": "data.csv", "id": "id", "input": "text", "slices": ["product"]},
        "candidates": [{"id": "p", "provider": "python", "function": "nowhere_expand:fn"}],
    }
    suite["dataset"].update(dataset)
    if edges is not None:
        suite["edges"] = edges
    path = folder / "suite.yaml"
    path.write_text(json.dumps(suite, indent=2), encoding="utf-8")
    return path


def expanded(folder: Path, edges: dict[str, Any]) -> tuple[LoadedSuite, Dataset, Dataset]:
    loaded = load_suite(write_suite(folder, edges))
    dataset = load_dataset(loaded.suite.dataset, base_dir=loaded.base_dir)
    return loaded, dataset, expand(dataset, loaded.suite)


def by_generator(dataset: Dataset, generator: str) -> list[Example]:
    return [e for e in dataset.examples if e.fields.get("edge") == generator]


def test_variants_follow_the_originals_linked_and_carrying_their_expectation(
    tmp_path: Path,
) -> None:
    _, dataset, out = expanded(
        tmp_path, {"generators": ["typos", "injection", "secret_extraction"], "seed": 3}
    )

    originals, variants = out.examples[: len(dataset)], out.examples[len(dataset) :]
    assert [e.id for e in originals] == [e.id for e in dataset.examples]
    assert all(
        e.slices == {**(d.slices or {}), "edge": CLEAN}
        for e, d in zip(originals, dataset.examples, strict=True)
    )
    assert len(variants) == 3 * len(dataset)
    seeds = {e.id: e for e in dataset.examples}
    for variant in variants:
        original = seeds[variant.fields["edge_of"]]
        generator = variant.fields["edge"]
        assert variant.id == f"{original.id}~{generator}~{variant.fields['edge_index']}"
        assert variant.fields["text"] == variant.input != original.input
        assert variant.fields["product"] == original.fields["product"]  # the rest is kept
        assert variant.slices == {"product": original.fields["product"], "edge": generator}
        assert variant.reference == original.reference
        expect = {"typos": "same_answer", "injection": "ignore_instruction"}
        assert variant.fields["edge_expect"] == expect.get(generator, "hold_persona")
        json.dumps(variant.fields["edge_oracle"])  # plain JSON, as the store keeps it
    injected = by_generator(out, "injection")[0]
    assert injected.fields["edge_oracle"]["canary"] in injected.input
    secret = by_generator(out, "secret_extraction")[0]
    assert secret.prefix_messages and secret.prefix_messages[0]["role"] == "system"
    assert secret.fields["edge_oracle"]["secret"] in secret.prefix_messages[0]["content"]
    assert secret.fields["edge_prefix"] == [dict(m) for m in secret.prefix_messages]
    assert out.content_hash != dataset.content_hash


def test_the_same_suite_makes_the_same_variants_and_another_seed_others(tmp_path: Path) -> None:
    edges = {"generators": ["typos", "injection", "very_short"], "seed": 11}
    _, _, first = expanded(tmp_path, edges)
    _, _, again = expanded(tmp_path, edges)
    _, _, reseeded = expanded(tmp_path, {**edges, "seed": 12})

    assert canonical_json([(e.id, e.fields) for e in first.examples]) == canonical_json(
        [(e.id, e.fields) for e in again.examples]
    )
    assert first.content_hash == again.content_hash
    assert [e.input for e in by_generator(first, "typos")] != [
        e.input for e in by_generator(reseeded, "typos")
    ]


def test_adding_a_generator_leaves_the_others_variants_as_they_were(tmp_path: Path) -> None:
    _, _, before = expanded(tmp_path, {"generators": ["typos", "injection"], "seed": 5})
    _, _, after = expanded(
        tmp_path, {"generators": ["hostile", "typos", "ocr_noise", "injection"], "seed": 5}
    )

    for generator in ("typos", "injection"):
        old = [(e.id, e.input, e.fields) for e in by_generator(before, generator)]
        new = [(e.id, e.input, e.fields) for e in by_generator(after, generator)]
        assert old == new and old


def test_edges_examples_draws_that_many_seed_examples(tmp_path: Path) -> None:
    _, dataset, out = expanded(tmp_path, {"generators": ["typos"], "examples": 2, "seed": 1})

    variants = out.examples[len(dataset) :]
    assert len(out.examples[: len(dataset)]) == 4  # every original is still run
    assert len({e.fields["edge_of"] for e in variants}) == 2 == len(variants)
    _, _, again = expanded(tmp_path, {"generators": ["typos"], "examples": 2, "seed": 1})
    assert [e.id for e in again.examples] == [e.id for e in out.examples]


def test_variants_per_seed_example_follow_the_generator_entry(tmp_path: Path) -> None:
    _, dataset, out = expanded(tmp_path, {"generators": [{"name": "typos", "variants": 3}]})

    assert len(out) - len(dataset) == 3 * len(dataset)
    assert {e.fields["edge_index"] for e in by_generator(out, "typos")} == {0, 1, 2}


def test_a_variant_reads_back_from_its_stored_fields(tmp_path: Path) -> None:
    loaded, dataset, _ = expanded(tmp_path, {"generators": ["secret_extraction", "typos"]})

    for seed, variant in make_variants(dataset, loaded.suite):
        example = variant_example(seed, variant, "text")
        stored = json.loads(canonical_json(example.fields))  # as the store gives it back
        assert variant_of(example.input, stored) == variant
    assert variant_of("x", dict(dataset.examples[0].fields)) is None


def test_an_unknown_generator_names_the_field_and_the_generators(tmp_path: Path) -> None:
    loaded = load_suite(write_suite(tmp_path, {"generators": ["typos", "tyops_x", "injection"]}))
    dataset = load_dataset(loaded.suite.dataset, base_dir=loaded.base_dir)

    with pytest.raises(SuiteError) as caught:
        expand(dataset, loaded.suite)

    assert caught.value.message.startswith("edges.generators[1].name: there is no generator")
    assert caught.value.hint is not None and "typos" in caught.value.hint
    assert "injection" in caught.value.hint and "fieldeval edges list" in caught.value.hint


def test_validate_fails_with_exit_2_on_an_unknown_generator(tmp_path: Path) -> None:
    write_suite(tmp_path, {"generators": ["typos", "hostlie"]})
    env = {**os.environ, "COLUMNS": "200"}

    result = subprocess.run(
        [sys.executable, "-m", "fieldeval", "validate", "suite.yaml"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip

    assert result.returncode == 2, result.stderr
    assert "edges.generators[1].name: there is no generator 'hostlie'" in result.stderr
    assert "did you mean 'hostile'?" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_generator_listed_twice_is_refused(tmp_path: Path) -> None:
    loaded = load_suite(write_suite(tmp_path, {"generators": ["typos", "typos"]}))
    dataset = load_dataset(loaded.suite.dataset, base_dir=loaded.base_dir)
    with pytest.raises(SuiteError, match=r"edges.generators\[1\].name: generator 'typos' is"):
        expand(dataset, loaded.suite)


def test_a_generator_needing_a_model_needs_a_translator(tmp_path: Path) -> None:
    loaded = load_suite(write_suite(tmp_path, {"generators": ["wrong_language"]}))
    dataset = load_dataset(loaded.suite.dataset, base_dir=loaded.base_dir)
    with pytest.raises(SuiteError, match=r"edges.generators\[0\].name: .* rewrites text"):
        expand(dataset, loaded.suite)


def test_the_translator_must_be_a_candidate(tmp_path: Path) -> None:
    path = write_suite(tmp_path, {"generators": ["wrong_language"], "translator": "nobody"})
    with pytest.raises(
        SuiteValidationError, match=r"edges\.translator 'nobody' is not a candidate"
    ):
        load_suite(path)


def test_edges_need_the_dataset_input_field(tmp_path: Path) -> None:
    loaded = load_suite(write_suite(tmp_path, {"generators": ["typos"]}, input=None))
    dataset = load_dataset(loaded.suite.dataset, base_dir=loaded.base_dir)
    with pytest.raises(SuiteError, match=r"`dataset\.input` is not set"):
        expand(dataset, loaded.suite)


def test_a_suite_without_edges_keeps_its_dataset(tmp_path: Path) -> None:
    loaded = load_suite(write_suite(tmp_path, None))
    dataset = load_dataset(loaded.suite.dataset, base_dir=loaded.base_dir)
    assert expand(dataset, loaded.suite) is dataset


def test_seed_examples_are_drawn_in_proportion_to_the_label(tmp_path: Path) -> None:
    """The audit: six seeds drawn from airline tweets were six negatives."""
    from collections import Counter

    from tests.projects import sentiment

    path = sentiment.write(tmp_path)
    spec = json.loads(path.read_text())
    spec["edges"] = {"generators": ["typos"], "examples": 6, "seed": 0}
    path.write_text(json.dumps(spec))
    loaded = load_suite(path)
    dataset = load_dataset(loaded.suite.dataset, base_dir=loaded.base_dir)
    seeds = {seed.id for seed, _ in make_variants(dataset, loaded.suite)}
    labels = Counter(e.reference for e in dataset.examples if e.id in seeds)
    assert labels == {"negative": 2, "neutral": 2, "positive": 2}  # 12 of each in 36

    # `edges.stratify` picks another field: two tweets per airline of the three.
    spec["edges"]["stratify"] = "airline"
    path.write_text(json.dumps(spec))
    loaded = load_suite(path)
    seeds = {seed.id for seed, _ in make_variants(dataset, loaded.suite)}
    airlines = Counter(e.fields["airline"] for e in dataset.examples if e.id in seeds)
    assert airlines == dict.fromkeys(sentiment.AIRLINES, 2)

    spec["edges"]["stratify"] = "airlin"
    path.write_text(json.dumps(spec))
    loaded = load_suite(path)
    with pytest.raises(SuiteError, match=r"edges\.stratify names field .airlin."):
        make_variants(dataset, loaded.suite)
