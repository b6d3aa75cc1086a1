"""Surface noise, layout, language and length generators on fixed seeds."""

from __future__ import annotations

import random
import re
import unicodedata

import pytest
from tests.edges.helpers import OTHERS, SEED, context, demo_rows, run, translator

from fieldeval.edges.generators.language import BUNDLED
from fieldeval.edges.generators.noise import FORMS, OCR_CONFUSIONS
from fieldeval.edges.generators.text import facts, key_sentence, numbers
from fieldeval.edges.judge import judged_input
from fieldeval.edges.registry import GENERATORS
from fieldeval.errors import ConfigError
from fieldeval.records.example import Example

# -- typos and OCR ----------------------------------------------------------------------


def test_typos_exact_output_on_a_fixed_seed() -> None:
    first, second = run("typos", count=2)
    assert first.input == (
        "I was charged a $35 late fee no 03/04/2024 by Acme Bank. Nobody at teh branch will"
        " refund it. I have banked there for 10 years and I am furious."
    )
    assert first.oracle == {"changes": [["on", "no"], ["the", "teh"]]}
    assert second.oracle == {"changes": [["Acme", "Came"], ["banked", "banied"]]}
    assert first.note == "2 typing slips"


def test_typos_leave_numbers_and_redaction_marks_alone() -> None:
    seed = Example(id="r", fields={}, input="Paid {$5000.00} on XX/XX/XXXX for XXXX bonus points")
    for s in range(30):
        (variant,) = run("typos", seed, rng=s, ctx=context(rate=1.0))
        assert "{$5000.00}" in variant.input and "XX/XX/XXXX" in variant.input
        assert "XXXX bonus" in variant.input or "XXXX" in variant.input.split()


def test_typos_rate_sets_how_many_words_change() -> None:
    row = demo_rows()[0]
    light = GENERATORS["typos"](row, random.Random(1), context(), 1)[0]
    heavy = GENERATORS["typos"](row, random.Random(1), context(rate=0.5), 1)[0]
    words = len(row.input.split())
    assert len(light.oracle["changes"]) <= round(0.05 * words) + 1
    assert len(heavy.oracle["changes"]) >= 0.3 * words


def test_ocr_noise_uses_ocr_confusions_and_keeps_the_original_numbers() -> None:
    for variant in run("ocr_noise", count=4):
        assert variant.oracle["numbers"] == ["$35", "03/04/2024", "10"]
        for before, after in variant.oracle["changes"]:
            assert before != after and after in variant.input
            assert any(
                after == before.replace(right, wrong, 1)
                or after[::-1] == before[::-1].replace(right[::-1], wrong[::-1], 1)
                or (right in before and wrong in after)
                for right, wrong in OCR_CONFUSIONS
            )


def test_ocr_noise_includes_broken_ligatures() -> None:
    seed = Example(id="l", fields={}, input="The official fine office flow")
    seen = "".join(run("ocr_noise", seed, rng=s, ctx=context(rate=1.0))[0].input for s in range(40))
    assert "ﬁ" in seen or "f i" in seen


# -- case and Unicode ---------------------------------------------------------------------


def test_case_unicode_gives_each_form_once_before_repeating() -> None:
    variants = run("case_unicode", count=6)
    assert sorted(v.oracle["form"] for v in variants) == sorted(FORMS)
    by_form = {v.oracle["form"]: v.input for v in variants}
    assert by_form["all_caps"] == SEED.input.upper()
    assert by_form["no_punctuation"] == (
        "I was charged a $35 late fee on 03/04/2024 by Acme Bank Nobody at the branch will"
        " refund it I have banked there for 10 years and I am furious"
    )
    assert "\u00a0" in by_form["nbsp"] and " " not in by_form["nbsp"].replace("\u202f", "")
    assert any(c in by_form["zero_width"] for c in "\u200b\u200c\u200d\u2060\ufeff")
    assert by_form["extra_whitespace"].split() == SEED.input.split()
    cyrillic = [c for c in by_form["homoglyphs"] if "CYRILLIC" in unicodedata.name(c, "")]
    assert cyrillic


def test_case_unicode_skips_a_form_that_changes_nothing() -> None:
    shouted = Example(id="s", fields={}, input="WHY WAS I CHARGED TWICE")
    variants = run("case_unicode", shouted, count=6, ctx=context(forms=["all_caps", "nbsp"]))
    assert variants and {v.oracle["form"] for v in variants} == {"nbsp"}


# -- bad scan -----------------------------------------------------------------------------


def test_bad_scan_frames_pages_and_keeps_the_words() -> None:
    row = demo_rows()[0]
    (variant,) = GENERATORS["bad_scan"](row, random.Random(5), context(corruption=0.05), 1)
    lines = variant.input.splitlines()
    assert lines[0] in variant.oracle["page_marks"]
    assert re.fullmatch(r"Page 1 of \d|- 1 -|1/\d|Page 1", variant.oracle["page_marks"][1])
    assert variant.oracle["numbers"] == numbers(row.input)
    assert variant.oracle["corruption"] == 0.05
    # every original word is still there, whole or split by a hyphen at a line end
    text = re.sub(r"-\n", "", variant.input)
    present = sum(word in text for word in row.input.split())
    assert present >= 0.8 * len(row.input.split())


def test_bad_scan_gets_worse_with_corruption() -> None:
    row = demo_rows()[1]

    def damage(level: float) -> float:
        scanned = GENERATORS["bad_scan"](row, random.Random(2), context(corruption=level), 1)
        lines = scanned[0].input.splitlines()
        words = row.input.split()
        kept = sum(w in scanned[0].input for w in words) / len(words)
        junk = sum(bool(line) and not re.search(r"[a-z]{3}", line) for line in lines)
        return (1 - kept) + junk / len(lines)

    assert damage(0.6) > damage(0.05)


def test_bad_scan_interleaves_two_columns() -> None:
    row = demo_rows()[0]
    (variant,) = GENERATORS["bad_scan"](row, random.Random(1), context(corruption=0.05), 1)
    lines = variant.input.splitlines()
    assert lines[0] == "RECEIVED — MAIL ROOM — PLEASE ROUTE"
    # the right column's first line is read right after (or beside) the left one's
    assert lines[2].startswith("I am writing to report an issue")
    assert "However, I have not yet received the" in " ".join(lines[2:4])
    assert variant.input.index("However") < variant.input.index("I completed my hotel")


# -- languages ----------------------------------------------------------------------------


def test_wrong_language_translates_the_whole_input_and_wants_the_reply_language() -> None:
    variants = run("wrong_language", count=3)
    assert len(variants) == 3  # one per register
    for variant in variants:
        assert variant.input.startswith("[French/") and variant.input.endswith(SEED.input)
        assert variant.oracle == {"language": "en", "input_language": "fr"}


def test_wrong_language_gives_nothing_when_the_languages_are_the_same() -> None:
    ctx = context(rewrite=translator, other_language="en")
    assert run("wrong_language", ctx=ctx) == []


def test_mixed_language_offline_pastes_a_bundled_paragraph_at_a_sentence_break() -> None:
    for variant in run("mixed_language", count=4, ctx=context(other_language="de")):
        assert variant.oracle["mode"] == "bundled"
        assert variant.oracle["pasted"] in BUNDLED["de"]
        assert variant.oracle["language"] == "en"
        assert variant.input.replace(variant.oracle["pasted"], "").split() == SEED.input.split()


def test_mixed_language_translates_part_of_the_text_with_a_translator() -> None:
    (variant,) = run("mixed_language", ctx=context(rewrite=translator))
    assert variant.oracle["mode"] == "translate"
    assert variant.oracle["pasted"].startswith("[French/")
    assert variant.input.count("[French/") == 1
    assert not variant.input.startswith("[French/") or variant.input.endswith(".")


def test_mixed_language_errors_name_the_way_out() -> None:
    with pytest.raises(ConfigError) as raised:
        run("mixed_language", ctx=context(other_language="it"))
    assert "`edges.translator`" in str(raised.value) and "fr, de, es" in str(raised.value)
    with pytest.raises(ConfigError) as raised:
        run("mixed_language", ctx=context(mode="translate"))
    assert "`edges.translator`" in str(raised.value)


def test_paraphrase_asks_for_styles_that_keep_every_fact() -> None:
    instructions: list[str] = []

    def rewrite(text: str, instruction: str) -> str:
        instructions.append(instruction)
        return f"{len(instructions)}: {text}"

    variants = run("paraphrase", count=3, ctx=context(rewrite=rewrite))
    assert sorted(v.oracle["style"] for v in variants) == ["plain", "terse", "verbose"]
    assert all("Keep every number, date, amount, name" in i for i in instructions)


# -- length -------------------------------------------------------------------------------


def test_very_short_forms() -> None:
    variants = run("very_short", count=4)
    forms = {v.oracle["form"]: v.input for v in variants}
    assert set(forms) == {"keyword", "punctuation", "emoji", "empty"}
    assert forms["empty"] == ""
    assert forms["keyword"] in SEED.input  # one of the seed's own words or names
    assert " " not in forms["keyword"] or forms["keyword"] in {f.text for f in facts(SEED.input)}
    keywords = {
        run("very_short", rng=s, ctx=context(forms=["keyword"]))[0].input for s in range(30)
    }
    assert "Acme Bank" in keywords and "furious" in keywords
    assert not keywords & {"was", "the", "at", "on", "and"}  # content words only
    assert len(forms["punctuation"]) <= 8 and len(forms["emoji"]) == 1


def test_very_short_on_an_empty_seed_has_no_keyword_form() -> None:
    variants = run("very_short", Example(id="e", fields={}, input=""), count=4)
    assert variants and all(v.oracle["form"] in {"punctuation", "emoji"} for v in variants)


def test_truncated_exact_output_on_a_fixed_seed() -> None:
    (variant,) = run("truncated")
    assert variant.input == "I was charged a $35 late fee on 03/04/2024 by Acme Bank. Nobody"
    assert variant.oracle == {
        "cut_at": 0.438,
        "removed_text": "at the branch will refund it. I have banked there for 10 years and I am"
        " furious.",
        "removed_facts": ["10"],
    }


def test_truncated_cuts_mid_sentence_between_30_and_70_percent() -> None:
    for row in demo_rows()[:10]:
        for variant in GENERATORS["truncated"](row, random.Random(4), context(), 3):
            text = row.input.rstrip()
            assert text.startswith(variant.input)
            assert 0.25 <= variant.oracle["cut_at"] <= 0.75
            assert not re.search(r"[.!?][\"')\]]*$", variant.input)
            for fact in variant.oracle["removed_facts"]:
                assert fact not in variant.input


@pytest.mark.parametrize("position", ["start", "middle", "end"])
def test_long_padding_puts_the_key_fact_where_asked(position: str) -> None:
    rows = demo_rows()
    seed, others = rows[9], rows[:9] + rows[10:]
    ctx = context(others=others, positions=[position], words=1500)
    (variant,) = GENERATORS["long_padding"](seed, random.Random(3), ctx, 1)
    key = key_sentence(seed.input)
    assert variant.oracle["key_fact"] == key
    assert variant.oracle["position"] == position
    assert variant.input.count(key) == 1  # type: ignore[arg-type]
    at = variant.input.index(key) / len(variant.input)  # type: ignore[arg-type]
    assert at == pytest.approx(variant.oracle["key_fact_at"], abs=0.001)
    low, high = {"start": (0, 1 / 3), "middle": (1 / 3, 2 / 3), "end": (2 / 3, 1)}[position]
    assert low <= at <= high
    assert variant.oracle["words"] >= 1500
    ids = variant.oracle["padding_ids"]
    assert ids and seed.id not in ids
    for other in others:
        if other.id in ids:
            assert other.input.strip() in variant.input


@pytest.mark.parametrize("position", ["start", "middle", "end"])
def test_the_judge_sees_a_padded_input_as_its_seed_with_the_padding_counted(position: str) -> None:
    # The audit: long_padding's judge call overflowed the local judge's 4,096-token context.
    rows = demo_rows()
    seed, others = rows[9], rows[:9] + rows[10:]
    shown = {}
    for words in (300, 3000):
        ctx = context(others=others * 10, positions=[position], words=words)
        (variant,) = GENERATORS["long_padding"](seed, random.Random(3), ctx, 1)
        shown[words] = judged_input(variant)
        assert seed.input.strip() in shown[words]
        assert len(shown[words].split()) < len(seed.input.split()) + 30
        assert variant.oracle["words"] >= words
        for other in others:
            assert other.input.strip() not in shown[words]
    # The judge's view does not grow with the padding, only its count does.
    assert abs(len(shown[3000]) - len(shown[300])) <= 4
    assert re.search(r"\[[\d,]+ words of other examples' text", shown[3000])


def test_long_padding_first_sentence_as_key_fact_and_three_positions() -> None:
    variants = run("long_padding", count=3, ctx=context(key_fact="first"))
    assert {v.oracle["position"] for v in variants} == {"start", "middle", "end"}
    assert all(
        v.oracle["key_fact"] == "I was charged a $35 late fee on 03/04/2024 by Acme Bank."
        for v in variants
    )
    assert all(set(v.oracle["padding_ids"]) <= {o.id for o in OTHERS} for v in variants)
