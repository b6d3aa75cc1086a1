"""The deterministic checks, compiled from the suite's short form as a user writes it."""

from __future__ import annotations

import json
import sys
import textwrap
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import TypeAdapter

from fieldeval.checks import (
    CompiledCheck,
    compile_checks,
    count_sentences,
    count_words,
    normalize,
    run_checks,
)
from fieldeval.errors import SuiteError
from fieldeval.records.check_result import CheckResult
from fieldeval.records.example import Example
from fieldeval.suite.checks import CheckBase
from fieldeval.suite.schema import CheckSpec

_SPEC: TypeAdapter[CheckBase] = TypeAdapter(CheckSpec)


def compile_one(raw: Mapping[str, Any], base_dir: Path = Path(".")) -> CompiledCheck:
    [check] = compile_checks([_SPEC.validate_python(raw)], base_dir=base_dir)
    return check


def example(**fields: Any) -> Example:
    return Example(id="ex-1", fields=fields, input="", source="data.csv:2")


def grade(raw: Mapping[str, Any], output: str, **fields: Any) -> CheckResult:
    return compile_one(raw)(output, example(**fields))


# --- length -------------------------------------------------------------------------------


def test_max_words_fails_over_the_limit_and_says_by_how_much() -> None:
    result = grade({"max_words": 3}, "one two three four")
    assert result == CheckResult("max_words", False, "4 words > 3", 4.0)


def test_max_words_passes_at_the_limit() -> None:
    result = grade({"max_words": 4}, "one two three four")
    assert result.passed
    assert result.reason == "4 words <= 4"


def test_min_words_fails_under_the_limit() -> None:
    result = grade({"min_words": 5}, "just one")
    assert (result.passed, result.reason, result.score) == (False, "2 words < 5", 2.0)


def test_words_need_a_letter_or_digit() -> None:
    assert count_words("Refund — issued ! 42 … ok") == 4


def test_words_count_letters_in_any_script() -> None:
    assert count_words("naïve café 東京 Ünïcödé") == 4


def test_empty_output_has_no_words_sentences_or_chars() -> None:
    assert grade({"max_words": 0}, "").reason == "0 words <= 0"
    assert grade({"min_sentences": 1}, "").reason == "0 sentences < 1"
    assert grade({"min_chars": 1}, "").reason == "0 chars < 1"


def test_one_word_is_singular_in_the_reason() -> None:
    assert grade({"min_words": 2}, "hello").reason == "1 word < 2"


@pytest.mark.parametrize(
    ("text", "sentences"),
    [
        ("One. Two! Three?", 3),
        ("Wait... what?! Yes.", 3),
        ("It weighs 3.5 kg. See example.com for more", 2),
        ('He said "stop." Then he left.', 2),
        ("No terminal punctuation", 1),
        ("Hello! :) ", 1),
        ("   ", 0),
    ],
)
def test_sentences_split_after_terminal_punctuation(text: str, sentences: int) -> None:
    assert count_sentences(text) == sentences


def test_max_sentences_reports_the_count() -> None:
    result = grade({"max_sentences": 1}, "First. Second.")
    assert (result.passed, result.reason, result.score) == (False, "2 sentences > 1", 2.0)


def test_chars_count_code_points_as_written() -> None:
    result = grade({"max_chars": 5}, "  café ")
    assert (result.passed, result.reason, result.score) == (False, "7 chars > 5", 7.0)


@given(st.lists(st.text(min_size=1), max_size=30), st.integers(min_value=0, max_value=40))
def test_max_words_passes_iff_the_word_count_is_within_the_limit(
    tokens: list[str], limit: int
) -> None:
    output = " ".join(tokens)
    assert grade({"max_words": limit}, output).passed is (count_words(output) <= limit)


@given(st.lists(st.from_regex(r"[A-Za-z0-9é]+", fullmatch=True), max_size=30))
def test_every_alphanumeric_token_is_one_word(tokens: list[str]) -> None:
    assert count_words("  \n".join(tokens)) == len(tokens)


# --- contains -----------------------------------------------------------------------------


def test_contains_names_what_is_missing() -> None:
    result = grade({"contains": ["refund", "apolog"]}, "We apologise for the delay.")
    assert (result.passed, result.reason) == (False, "missing 'refund'")


def test_contains_passes_when_all_are_present() -> None:
    result = grade({"contains": "refund"}, "Your refund is on its way.")
    assert (result.passed, result.reason) == (True, "contains 'refund'")


def test_contains_is_case_sensitive_by_default() -> None:
    assert not grade({"contains": "refund"}, "REFUND issued").passed


def test_ignore_case_uses_casefold() -> None:
    assert grade({"contains": "straße", "ignore_case": True}, "STRASSE 5").passed
    assert grade({"contains": "REFUND", "ignore_case": True}, "your refund").passed


def test_not_contains_names_what_it_found() -> None:
    result = grade({"not_contains": ["guarantee", "promise"]}, "We promise it works.")
    assert (result.passed, result.reason) == (False, "contains 'promise'")
    assert grade({"not_contains": "guarantee"}, "It may work.").passed


def test_contains_any_needs_one() -> None:
    spec = {"contains_any": ["refund", "credit"]}
    assert grade(spec, "A credit was applied.").reason == "contains 'credit'"
    failed = grade(spec, "Nothing here.")
    assert (failed.passed, failed.reason) == (False, "none of 'refund', 'credit' found")


def test_contains_all_needs_every_one() -> None:
    spec = {"contains_all": ["refund", "credit"]}
    assert grade(spec, "refund and credit").passed
    assert grade(spec, "credit only").reason == "missing 'refund'"


def test_string_arguments_are_templates_over_the_example_fields() -> None:
    spec = {"contains": "Dear {{ customer }}"}
    assert grade(spec, "Dear Ana, thanks.", customer="Ana").passed
    result = grade(spec, "Dear Ana, thanks.", customer="Bob")
    assert result.reason == "missing 'Dear Bob'"


def test_a_template_naming_a_missing_field_is_a_suite_error() -> None:
    with pytest.raises(SuiteError, match=r"check 'contains'.*data\.csv:2") as raised:
        grade({"contains": "{{ custmer }}"}, "text", customer="Ana")
    assert raised.value.hint is not None and "customer" in raised.value.hint


def test_a_template_that_does_not_parse_fails_at_compile_time() -> None:
    with pytest.raises(SuiteError, match="does not parse"):
        compile_one({"equals": "{{ label "})


def test_outputs_and_field_values_are_never_evaluated_as_templates() -> None:
    assert not grade({"contains": "49"}, "{{ 7 * 7 }}").passed
    assert grade({"equals": "{{ answer }}"}, "{{ 7 * 7 }}", answer="{{ 7 * 7 }}").passed


# --- regex --------------------------------------------------------------------------------


def test_regex_says_what_matched_and_where() -> None:
    result = grade({"regex": r"[A-Z]-\d+"}, "Order A-123 shipped")
    assert (result.passed, result.reason) == (True, "matched 'A-123' at 6")


def test_regex_fails_without_a_match() -> None:
    result = grade({"regex": r"\d{4}"}, "no digits")
    assert (result.passed, result.reason) == (False, r"no match for '\\d{4}'")


def test_regex_ignore_case() -> None:
    assert grade({"regex": "refund", "ignore_case": True}, "REFUND").passed
    assert not grade({"regex": "refund"}, "REFUND").passed


def test_not_regex_fails_on_a_match() -> None:
    result = grade({"not_regex": r"as an ai", "ignore_case": True}, "As an AI, I cannot")
    assert (result.passed, result.reason) == (False, "matched 'As an AI' at 0")
    assert grade({"not_regex": "as an ai"}, "Sure.").passed


def test_a_bad_regex_fails_at_compile_time_naming_the_check() -> None:
    with pytest.raises(SuiteError, match=r"check 'order-id': regex '\(\[A-Z\]' .*missing \)"):
        compile_one({"regex": "([A-Z]", "id": "order-id"})


def test_a_templated_regex_is_rendered_per_example() -> None:
    spec = {"regex": r"#{{ order }}\b"}
    assert grade(spec, "about #451 today", order="451").passed
    assert not grade(spec, "about #4512 today", order="451").passed


def test_a_templated_regex_that_renders_badly_is_a_suite_error() -> None:
    with pytest.raises(SuiteError, match="does not compile"):
        grade({"regex": "{{ pattern }}"}, "text", pattern="(")


# --- equals and starts_with ---------------------------------------------------------------


@pytest.mark.parametrize(
    "output",
    ["positive", "Positive.", ' "POSITIVE" ', "**positive**", "«positive»", "ｐｏｓｉｔｉｖｅ"],
)
def test_equals_ignores_case_width_and_surrounding_punctuation(output: str) -> None:
    assert grade({"equals": "positive"}, output).passed


def test_equals_collapses_inner_whitespace_but_keeps_inner_punctuation() -> None:
    assert grade({"equals": "New York"}, "new\n  york").passed
    assert not grade({"equals": "don't"}, "dont").passed


def test_equals_failure_shows_both_sides() -> None:
    result = grade({"equals": "{{ label }}"}, "negative", label="positive")
    assert (result.passed, result.reason) == (False, "expected 'positive', got 'negative'")


def test_equals_with_a_templated_label() -> None:
    assert grade({"equals": "{{ label }}"}, "Billing.", label="billing").passed


@given(st.text(max_size=40))
def test_normalize_is_idempotent(text: str) -> None:
    assert normalize(normalize(text)) == normalize(text)


_NOT_A_TEMPLATE = st.text(st.characters(exclude_characters="{"), max_size=20)


@given(_NOT_A_TEMPLATE, _NOT_A_TEMPLATE)
def test_equals_is_symmetric(a: str, b: str) -> None:
    assert grade({"equals": a}, b).passed is grade({"equals": b}, a).passed


def test_starts_with_ignores_leading_whitespace() -> None:
    assert grade({"starts_with": "Dear"}, "\n  Dear Ana,").passed


def test_starts_with_failure_shows_the_opening() -> None:
    result = grade({"starts_with": "Dear"}, "Hi Ana, thanks for writing")
    assert (result.passed, result.reason) == (False, "starts with 'Hi Ana, thanks', not 'Dear'")


def test_starts_with_ignore_case() -> None:
    assert grade({"starts_with": "dear", "ignore_case": True}, "DEAR Ana").passed
    assert not grade({"starts_with": "dear"}, "DEAR Ana").passed


# --- JSON ---------------------------------------------------------------------------------


def test_is_json_accepts_json() -> None:
    assert grade({"is_json": True}, '{"a": 1}').reason == "valid JSON"


@pytest.mark.parametrize("fence", ["```json", "```", "```JSON "])
def test_is_json_accepts_one_fenced_block_and_says_so(fence: str) -> None:
    result = grade({"is_json": True}, f'\n{fence}\n{{"a": [1, 2]}}\n```\n')
    assert (result.passed, result.reason) == (True, "valid JSON (inside a code fence)")


def test_is_json_rejects_prose_around_a_fence() -> None:
    result = grade({"is_json": True}, 'Here you go:\n```json\n{"a": 1}\n```')
    assert not result.passed
    assert result.reason.startswith("not JSON: Expecting value: line 1 column 1")


def test_is_json_rejects_an_empty_output() -> None:
    assert not grade({"is_json": True}, "").passed


_ORDER_SCHEMA = {
    "type": "object",
    "required": ["items"],
    "properties": {
        "items": {
            "type": "array",
            "items": {"type": "object", "properties": {"price": {"type": "number"}}},
        }
    },
}


def test_json_schema_passes_a_matching_document() -> None:
    result = grade({"json_schema": _ORDER_SCHEMA}, '{"items": [{"price": 2.5}]}')
    assert (result.passed, result.reason) == (True, "matches the schema")


def test_json_schema_failure_names_the_path() -> None:
    output = '```json\n{"items": [{"price": 1}, {"price": "free"}]}\n```'
    result = grade({"json_schema": _ORDER_SCHEMA}, output)
    assert (result.passed, result.reason) == (
        False,
        "$.items[1].price: 'free' is not of type 'number'",
    )


def test_json_schema_counts_further_errors() -> None:
    result = grade({"json_schema": _ORDER_SCHEMA}, '{"items": [{"price": "a"}, {"price": "b"}]}')
    assert result.reason.endswith("(and 1 more)")


def test_json_schema_rejects_non_json() -> None:
    assert grade({"json_schema": _ORDER_SCHEMA}, "{items: []}").reason.startswith("not JSON")


def test_json_schema_file_is_read_relative_to_the_suite(tmp_path: Path) -> None:
    (tmp_path / "schemas").mkdir()
    (tmp_path / "schemas" / "order.json").write_text(json.dumps(_ORDER_SCHEMA))
    check = compile_one({"json_schema": "schemas/order.json"}, base_dir=tmp_path)
    assert check('{"items": []}', example()).passed
    assert check("{}", example()).reason == "$: 'items' is a required property"


def test_a_missing_schema_file_is_a_suite_error(tmp_path: Path) -> None:
    with pytest.raises(SuiteError, match=r"check 'json_schema': schema file .* not found"):
        compile_one({"json_schema": "nope.json"}, base_dir=tmp_path)


def test_an_invalid_schema_is_a_suite_error() -> None:
    with pytest.raises(SuiteError, match=r"JSON Schema is invalid at \$\.type"):
        compile_one({"json_schema": {"type": "strng"}})


# --- language -----------------------------------------------------------------------------


def test_language_passes_with_the_detected_language_and_confidence() -> None:
    result = grade({"language": "en"}, "Thank you for your message, your refund is on its way.")
    assert result.passed
    assert result.reason.startswith("detected en (")
    assert result.score is not None and result.score > 0.5


def test_language_fails_naming_what_it_detected() -> None:
    result = grade({"language": ["en", "de"]}, "Merci pour votre message, le remboursement arrive.")
    assert not result.passed
    assert result.reason.startswith("detected fr (")
    assert result.reason.endswith(", expected en or de")


def test_language_fails_an_empty_output() -> None:
    assert grade({"language": "en"}, "  \n").reason == "empty output"


def test_language_can_come_from_the_example() -> None:
    spec = {"language": "{{ lang }}"}
    assert grade(spec, "Gracias por su mensaje, el reembolso está en camino.", lang="es").passed
    with pytest.raises(SuiteError, match="does not know language 'xx'"):
        grade(spec, "Hello there", lang="xx")


def test_a_language_that_is_not_a_code_fails_at_compile_time() -> None:
    with pytest.raises(SuiteError, match="'English' is not a language code"):
        compile_one({"language": "English"})


# --- python -------------------------------------------------------------------------------


def write_module(directory: Path, name: str, source: str) -> None:
    (directory / f"{name}.py").write_text(textwrap.dedent(source))


def test_python_check_returning_a_bool(tmp_path: Path) -> None:
    write_module(tmp_path, "bool_checks", "def short(output, example): return len(output) < 5\n")
    check = compile_one({"python": "bool_checks:short"}, base_dir=tmp_path)
    assert check("hey", example()) == CheckResult("python", True, "bool_checks:short returned True")
    assert not check("hello there", example()).passed


def test_python_check_returning_a_reason_or_a_result(tmp_path: Path) -> None:
    write_module(
        tmp_path,
        "reason_checks",
        """
        from fieldeval.checks import CheckResult

        def cites(output, example):
            return ("[1]" in output, f"citations for {example.id}")

        def scored(output, example):
            return CheckResult("ignored", True, "long enough", float(len(output)))
        """,
    )
    cites = compile_one({"python": "reason_checks:cites", "id": "cites"}, base_dir=tmp_path)
    assert cites("see [1]", example()) == CheckResult("cites", True, "citations for ex-1")
    scored = compile_one({"python": "reason_checks:scored", "id": "len"}, base_dir=tmp_path)
    assert scored("abc", example()) == CheckResult("len", True, "long enough", 3.0)


def test_python_check_that_raises_fails_that_output_only(tmp_path: Path) -> None:
    write_module(
        tmp_path, "raising_checks", "def ratio(output, example): return 1 / len(output) > 0\n"
    )
    check = compile_one({"python": "raising_checks:ratio"}, base_dir=tmp_path)
    result = check("", example())
    assert not result.passed
    assert result.reason == "raising_checks:ratio raised ZeroDivisionError: division by zero"
    assert check("ok", example()).passed


def test_python_check_returning_something_else_fails_saying_what_it_returned(
    tmp_path: Path,
) -> None:
    write_module(tmp_path, "float_checks", "def ratio(output, example): return 0.5\n")
    result = compile_one({"python": "float_checks:ratio"}, base_dir=tmp_path)("ok", example())
    assert not result.passed
    assert result.reason == (
        "float_checks:ratio returned 0.5; expected a bool, a (bool, reason) pair or a CheckResult"
    )


def test_python_check_may_import_its_neighbours(tmp_path: Path) -> None:
    write_module(tmp_path, "shared_words", "BANNED = {'guarantee'}\n")
    write_module(
        tmp_path,
        "neighbour_checks",
        """
        from shared_words import BANNED

        def clean(output, example):
            return not BANNED & set(output.split())
        """,
    )
    check = compile_one({"python": "neighbour_checks:clean"}, base_dir=tmp_path)
    assert not check("we guarantee it", example()).passed
    assert str(tmp_path.resolve()) not in sys.path


def test_a_missing_python_module_is_a_suite_error_with_a_hint(tmp_path: Path) -> None:
    with pytest.raises(SuiteError, match="no module named 'absent_checks'") as raised:
        compile_one({"python": "absent_checks:anything"}, base_dir=tmp_path)
    assert raised.value.hint is not None and str(tmp_path) in raised.value.hint


def test_a_missing_python_function_is_a_suite_error_listing_what_exists(tmp_path: Path) -> None:
    write_module(tmp_path, "typo_checks", "def is_polite(output, example): return True\n")
    with pytest.raises(SuiteError, match="has no 'is_polit'") as raised:
        compile_one({"python": "typo_checks:is_polit"}, base_dir=tmp_path)
    assert raised.value.hint == "it defines: is_polite"


def test_a_module_that_fails_to_import_is_a_suite_error(tmp_path: Path) -> None:
    write_module(tmp_path, "broken_checks", "import not_installed_anywhere\n")
    with pytest.raises(SuiteError, match="importing 'broken_checks' failed: ModuleNotFoundError"):
        compile_one({"python": "broken_checks:x"}, base_dir=tmp_path)


# --- compiling and running ----------------------------------------------------------------


def test_repeated_check_types_get_unique_ids() -> None:
    specs = [_SPEC.validate_python(raw) for raw in ({"max_words": 1}, {"max_words": 2})]
    assert [check.id for check in compile_checks(specs, base_dir=Path("."))] == [
        "max_words",
        "max_words-2",
    ]


def test_run_checks_applies_only_the_checks_for_the_candidate() -> None:
    specs = [
        _SPEC.validate_python(raw)
        for raw in (
            {"max_words": 50},
            {"contains": "Ana", "applies_to": ["support-bot-v2"], "id": "greets"},
        )
    ]
    checks = compile_checks(specs, base_dir=Path("."))
    v1 = run_checks(checks, "Hello Ana", example(), "support-bot-v1")
    v2 = run_checks(checks, "Hello Ana", example(), "support-bot-v2")
    assert [result.check_id for result in v1] == ["max_words"]
    assert [result.check_id for result in v2] == ["max_words", "greets"]
    assert all(result.passed for result in v2)
