"""The registry and what every generator promises: names, descriptions, determinism, output."""

from __future__ import annotations

import dataclasses
import json
import random
import re
from typing import get_args

import pytest
from tests.edges.helpers import OTHERS, SEED, context, demo_rows, run, translator

from fieldeval.edges.registry import GENERATORS, describe, generator, options
from fieldeval.edges.variant import Generator
from fieldeval.errors import ConfigError
from fieldeval.records.example import Example
from fieldeval.suite.edges import Expectation

NAMES = sorted(GENERATORS)


def test_the_registry_lists_at_least_fifteen_generators_with_unique_names() -> None:
    names = [name for name, *_ in describe()]
    assert len(names) >= 15
    assert len(set(names)) == len(names)
    assert set(names) == set(GENERATORS)
    for name, found in GENERATORS.items():
        assert found.name == name


def test_every_generator_has_a_docstring_an_expectation_and_a_one_line_description() -> None:
    for name, expect, needs_model, line in describe():
        found = GENERATORS[name]
        assert (found.__doc__ or "").strip(), name
        assert expect in get_args(Expectation)
        assert isinstance(needs_model, bool)
        assert line and "\n" not in line and len(line) <= 100
        assert line == found.__doc__.strip().splitlines()[0]  # type: ignore[union-attr]


def test_the_catalogue_expectations() -> None:
    expected = {
        "typos": "same_answer",
        "ocr_noise": "same_answer",
        "bad_scan": "same_answer",
        "case_unicode": "same_answer",
        "wrong_language": "same_answer",
        "mixed_language": "same_answer",
        "very_short": "ask_for_detail",
        "truncated": "ask_for_detail",
        "long_padding": "same_answer",
        "hostile": "same_answer",
        "out_of_scope": "decline_redirect",
        "missing_evidence": "say_unknown",
        "changed_question": "same_answer",
        "two_requests": "same_answer",
        "injection": "ignore_instruction",
        "secret_extraction": "hold_persona",
        "long_conversation": "hold_persona",
        "paraphrase": "same_answer",
    }
    assert {name: GENERATORS[name].expect for name in expected} == expected
    assert {n for n, g in GENERATORS.items() if g.needs_model} == {"wrong_language", "paraphrase"}


def test_generator_by_name_and_a_clear_error_for_an_unknown_one() -> None:
    assert generator("typos") is GENERATORS["typos"]
    with pytest.raises(ConfigError) as raised:
        generator("typo")
    message = str(raised.value)
    assert "no edge generator 'typo'" in message
    assert "did you mean 'typos'?" in message
    assert "bad_scan" in message and "long_conversation" in message


def test_options_describes_each_option_with_its_default() -> None:
    assert [(name, default) for name, default, _ in options("typos")] == [("rate", 0.05)]
    assert options("changed_question") == []


@pytest.mark.parametrize("name", NAMES)
def test_each_generator_is_a_generator(name: str) -> None:
    found: Generator = GENERATORS[name]
    assert isinstance(found.name, str) and callable(found)


@pytest.mark.parametrize("name", NAMES)
def test_same_rng_seed_same_variants_and_other_seeds_other_variants(name: str) -> None:
    first = run(name, count=3, rng=11)
    assert first, name
    assert first == run(name, count=3, rng=11)
    # Over a few seeds the output changes (a single pair may coincide on a short seed).
    outputs = {
        json.dumps([[v.input, [dict(m) for m in v.prefix_messages]] for v in run(name, rng=s)])
        for s in range(6)
    }
    assert len(outputs) > 1


@pytest.mark.parametrize("name", NAMES)
def test_variants_are_numbered_linked_and_differ_from_the_original(name: str) -> None:
    variants = run(name, count=4)
    assert 1 <= len(variants) <= 4
    keys = set()
    for index, variant in enumerate(variants):
        assert variant.generator == name
        assert variant.index == index
        assert variant.original_id == SEED.id
        assert variant.id == f"c1~{name}~{index}"
        assert variant.expect == GENERATORS[name].expect
        assert variant.note
        assert variant.oracle
        assert (variant.input, variant.prefix_messages) != (SEED.input, ())
        json.dumps(dict(variant.oracle))  # stored as JSON
        keys.add((variant.input, json.dumps([dict(m) for m in variant.prefix_messages])))
    assert len(keys) == len(variants)  # no two alike


@pytest.mark.parametrize("name", NAMES)
def test_real_demo_rows_give_variants_without_error(name: str) -> None:
    rows = demo_rows()
    for row in rows[:6]:
        others = [r for r in rows if r.id != row.id]
        rewrite = translator if GENERATORS[name].needs_model else None
        variants = GENERATORS[name](
            row, random.Random(3), context(others=others, rewrite=rewrite), 2
        )
        assert variants, (name, row.id)
        assert all(v.input != row.input or v.prefix_messages for v in variants)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("text", ["", "   ", "??", "Hi", "😡", "one two three", "A. B. C."])
def test_empty_and_tiny_seeds_never_crash(name: str, text: str) -> None:
    seed = Example(id="tiny", fields={}, input=text)
    variants = run(name, seed, count=3)
    assert all(v.input != text or v.prefix_messages for v in variants)


@pytest.mark.parametrize(
    "name",
    [n for n in NAMES if n != "very_short"],  # "??" or an emoji is a fine reply to nothing
)
def test_an_empty_seed_gives_no_variants(name: str) -> None:
    assert run(name, Example(id="e", fields={}, input=""), count=3) == []


def test_count_zero_gives_nothing_and_count_caps_the_variants() -> None:
    assert run("typos", count=0) == []
    assert len(run("injection", count=7)) == 7


def test_generators_that_need_other_examples_give_nothing_without_them() -> None:
    for name in ("long_padding", "changed_question", "two_requests", "long_conversation"):
        assert run(name, ctx=context(others=[])) == [], name
        # the seed itself among "others" is not another example
        assert run(name, ctx=context(others=[SEED])) == [], name


def test_an_unknown_option_is_a_clear_error() -> None:
    with pytest.raises(ConfigError) as raised:
        run("typos", ctx=context(rat=0.1))
    assert "edge generator 'typos' has no option 'rat'" in str(raised.value)
    assert "rate" in str(raised.value)


@pytest.mark.parametrize(
    ("name", "option", "value", "says"),
    [
        ("typos", "rate", 2, "from 0.01 to 1"),
        ("typos", "rate", "lots", "expected a number"),
        ("bad_scan", "corruption", 0.9, "from 0.05 to 0.6"),
        ("injection", "positions", ["top"], "'top' is not one of: start, middle, end"),
        ("injection", "framings", [], "non-empty list"),
        ("long_conversation", "turns", 2.5, "whole number"),
        ("mixed_language", "mode", "magic", "one of: auto, translate, bundled"),
    ],
)
def test_a_bad_option_value_is_a_clear_error(
    name: str, option: str, value: object, says: str
) -> None:
    with pytest.raises(ConfigError) as raised:
        run(name, ctx=dataclasses.replace(context(), options={option: value}))
    assert f"edge generator {name!r}: option {option!r}" in str(raised.value)
    assert says in str(raised.value)


@pytest.mark.parametrize("name", ["wrong_language", "paraphrase"])
def test_model_generators_without_a_translator_name_the_suite_key(name: str) -> None:
    with pytest.raises(ConfigError) as raised:
        run(name, ctx=context(rewrite=None))
    assert "needs a model" in str(raised.value)
    assert "`edges.translator`" in str(raised.value)


def test_model_generators_work_with_a_plain_python_rewrite_function() -> None:
    calls: list[tuple[str, str]] = []

    def rewrite(text: str, instruction: str) -> str:
        calls.append((text, instruction))
        return text.upper() if "Translate" in instruction else text[::-1]

    translated = run("wrong_language", ctx=context(rewrite=rewrite))
    paraphrased = run("paraphrase", ctx=context(rewrite=rewrite))
    assert translated[0].input == SEED.input.upper()
    assert paraphrased[0].input == SEED.input[::-1]
    assert calls[0][0] == SEED.input
    assert "into French" in calls[0][1]
    assert "exactly as written" in calls[0][1]


def test_no_generator_touches_the_global_random_generator() -> None:
    random.seed(123)
    before = random.getstate()
    for name in NAMES:
        run(name, count=2)
    assert random.getstate() == before


def test_canary_and_secret_markers_come_from_the_rng() -> None:
    canaries = {run("injection", rng=s)[0].oracle["canary"] for s in range(20)}
    assert len(canaries) == 20
    assert all(re.fullmatch(r"FE-CANARY-[0-9a-f]{8}", c) for c in canaries)
    secret = run("secret_extraction")[0].oracle["secret"]
    assert re.fullmatch(r"FE-SECRET-[0-9a-f]{8}", secret)


def test_others_are_real_examples_not_the_seed() -> None:
    for variant in run("two_requests", count=4):
        assert variant.oracle["requests"][1] in {o.id for o in OTHERS}
