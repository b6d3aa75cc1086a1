"""Broken suite files: every problem is reported at its file:line:col, with a useful hint."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from fieldeval.errors import SuiteError
from fieldeval.suite.loader import Problem, SuiteValidationError, load_suite

GOOD = """\
task:
  name: greet
  description: Greet the customer.
  prompt: "Say hello to {{ name }}"
dataset:
  path: data.csv
candidates:
  - id: bot
    provider: python
    function: bot:answer
checks:
  - max_words: 10
"""


def write(tmp_path: Path, text: str | bytes, name: str = "suite.yaml") -> Path:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def problems_of(path: Path) -> list[Problem]:
    with pytest.raises(SuiteValidationError) as caught:
        load_suite(path)
    return caught.value.problems


def only_problem(path: Path) -> Problem:
    problems = problems_of(path)
    assert len(problems) == 1, problems
    return problems[0]


def suite_error(path: Path) -> SuiteError:
    with pytest.raises(SuiteError) as caught:
        load_suite(path)
    assert not isinstance(caught.value, SuiteValidationError)
    return caught.value


def test_a_good_suite_loads(tmp_path: Path) -> None:
    loaded = load_suite(write(tmp_path, GOOD))
    assert loaded.suite.task.name == "greet"
    assert [c.id for c in loaded.suite.candidates] == ["bot"]
    assert loaded.suite.checks[0].id == "max_words"


# -- YAML that does not parse ---------------------------------------------------------------


def test_bad_indentation_points_at_the_line(tmp_path: Path) -> None:
    path = write(tmp_path, "task:\n  name: greet\n   description: Greet.\n")
    error = suite_error(path)
    assert error.message.startswith(f"{path}:3:")
    assert "YAML syntax error" in error.message
    assert error.hint is not None and "indented" in error.hint


def test_unclosed_quote_points_at_where_the_string_opens(tmp_path: Path) -> None:
    path = write(tmp_path, 'task:\n  name: greet\n  description: "Greet.\ndataset:\n  path: x\n')
    error = suite_error(path)
    assert error.message.startswith(f"{path}:3:16: YAML syntax error: unclosed quote")
    assert error.hint is not None and "close the quote" in error.hint


def test_unclosed_bracket_names_where_it_opened(tmp_path: Path) -> None:
    path = write(tmp_path, "task:\n  name: greet\nchecks: [a, b\ndataset: x\n")
    error = suite_error(path)
    assert error.message.startswith(f"{path}:4:8:")
    assert "flow sequence at 3:9" in error.message


def test_tabs_are_explained(tmp_path: Path) -> None:
    path = write(tmp_path, "task:\n\tname: greet\n")
    error = suite_error(path)
    assert error.message.startswith(f"{path}:2:1:")
    assert error.hint == "YAML indents with spaces, not tabs"


def test_duplicate_yaml_keys_are_an_error_at_the_second_key(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace("  prompt:", "  name: other\n  prompt:"))
    error = suite_error(path)
    assert error.message.startswith(f"{path}:4:3:")
    assert 'duplicate key "name"' in error.message
    assert error.hint is not None and "only once" in error.hint


def test_a_mapping_used_as_a_key_is_named_with_its_line(tmp_path: Path) -> None:
    # Found by the fuzz test: a cut that turns a candidate's flow mapping into a key.
    path = write(tmp_path, "task:\n  name: greet\n  {id: a, params: {max_tokens: 10}}: 2\n")
    error = suite_error(path)
    assert error.message == f"{path}:3:3: a mapping or list is used as a key"
    assert error.hint is not None and "plain name" in error.hint


# -- files that are not YAML text -----------------------------------------------------------


@pytest.mark.parametrize("text", ["", "\n  \n", "# only a comment\n"])
def test_an_empty_file(tmp_path: Path, text: str) -> None:
    error = suite_error(write(tmp_path, text))
    assert "the file is empty" in error.message
    assert error.hint is not None and "fieldeval init" in error.hint


def test_a_binary_file(tmp_path: Path) -> None:
    error = suite_error(write(tmp_path, b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"))
    assert "binary file" in error.message


def test_a_file_that_is_not_utf8_names_line_column_and_byte(tmp_path: Path) -> None:
    path = write(tmp_path, "task:\n  name: caf\xe9\n".encode("latin-1"))
    error = suite_error(path)
    assert error.message == f"{path}:2:12: not valid UTF-8 (byte 0xe9)"
    assert error.hint == "save the suite file as UTF-8"


def test_a_utf8_bom_is_fine(tmp_path: Path) -> None:
    path = write(tmp_path, b"\xef\xbb\xbf" + GOOD.encode())
    assert load_suite(path).suite.task.name == "greet"


def test_a_list_instead_of_a_mapping(tmp_path: Path) -> None:
    path = write(tmp_path, "- task: greet\n- dataset: x\n")
    error = suite_error(path)
    assert error.message.startswith(f"{path}:1:1: a suite file is a YAML mapping")
    assert "found a list" in error.message


def test_a_missing_file(tmp_path: Path) -> None:
    error = suite_error(tmp_path / "nope.yaml")
    assert "no such suite file" in error.message


# -- schema problems ------------------------------------------------------------------------


def test_unknown_top_level_key_suggests_the_right_one(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace("candidates:", "candidats:"))
    problems = problems_of(path)
    typo = next(p for p in problems if p.field == "candidats")
    assert typo.location == f"{path}:7:1"
    assert typo.message == "unknown key"
    assert typo.hint == "did you mean 'candidates'?"
    # ...and the real key is then missing, reported at the top of the file.
    assert any(p.field == "candidates" and "missing" in p.message for p in problems)


def test_unknown_nested_key_suggests_the_right_one(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace("  description:", "  descripton:"))
    problems = problems_of(path)
    assert [(p.location, p.field) for p in problems] == [
        (f"{path}:1:1", "task.description"),  # missing: located at its parent, `task:`
        (f"{path}:3:3", "task.descripton"),
    ]
    assert problems[0].message == "required field is missing"
    assert problems[1].hint == "did you mean 'description'?"


def test_a_sampling_parameter_beside_the_candidate_keys_is_sent_to_params(
    tmp_path: Path,
) -> None:
    path = write(
        tmp_path,
        GOOD.replace("    function: bot:answer", "    function: bot:answer\n    temprature: 0.2"),
    )
    problem = only_problem(path)
    assert (problem.location, problem.field) == (f"{path}:11:5", "candidates[0].temprature")
    assert problem.hint is not None and "params: {temperature: ...}" in problem.hint


def test_candidate_keys_are_checked_against_their_own_provider(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """\
        task: {name: t, description: d, prompt: x}
        dataset: {path: data.csv}
        candidates:
          - id: a
            provider: local
            concurency: 2
          - id: b
            provider: local
            base_url: http://localhost:8080/v1
          - id: c
            provider: openai
            model: gpt-4o-mini
            context: 4096
        """,
    )
    typo, wrong_provider, local_only = problems_of(path)
    assert (typo.location, typo.field) == (f"{path}:6:5", "candidates[0].concurency")
    assert typo.hint == "did you mean 'concurrency'?"
    assert (wrong_provider.location, wrong_provider.field) == (
        f"{path}:9:5",
        "candidates[1].base_url",
    )
    assert wrong_provider.hint is not None
    assert "provider openai, anthropic, not 'local'" in wrong_provider.hint
    assert (local_only.location, local_only.field) == (f"{path}:13:5", "candidates[2].context")
    assert local_only.hint is not None and "not 'openai'" in local_only.hint
    assert "threads" not in local_only.hint  # the allowed keys are openai's, not local's


def test_wrong_type_names_the_field_and_what_was_expected(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        GOOD.replace("    function: bot:answer", "    function: bot:answer\n    concurrency: many"),
    )
    problem = only_problem(path)
    assert problem.location == f"{path}:11:5"
    assert problem.field == "candidates[0].concurrency"
    assert problem.message == "expected a whole number (got 'many')"


def test_unknown_provider_lists_the_valid_ones(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace("provider: python", "provider: opena"))
    problem = only_problem(path)
    assert (problem.location, problem.field) == (f"{path}:9:5", "candidates[0].provider")
    for provider in ("openai", "anthropic", "local", "http", "python", "command"):
        assert f"'{provider}'" in problem.message
    assert problem.hint == "did you mean 'openai'?"


def test_missing_provider(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace("    provider: python\n", ""))
    problem = only_problem(path)
    assert (problem.location, problem.field) == (f"{path}:8:5", "candidates[0].provider")
    assert problem.message == "required field is missing"
    assert problem.hint is not None and "openai, anthropic, local" in problem.hint


def test_unknown_check_suggests_the_right_one(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace("max_words: 10", "max_word: 10"))
    problem = only_problem(path)
    assert (problem.location, problem.field) == (f"{path}:12:5", "checks[0]")
    assert "unknown check 'max_word'; did you mean 'max_words'?" in problem.message


def test_a_short_form_check_value_is_named_by_its_key(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace("max_words: 10", "{max_words: ten, ignore_case: true}"))
    value, option = problems_of(path)
    assert (value.location, value.field) == (f"{path}:12:6", "checks[0].max_words")
    assert value.message == "expected a whole number (got 'ten')"
    assert (option.location, option.field) == (f"{path}:12:22", "checks[0].ignore_case")
    assert option.hint == "allowed here: applies_to, description, id, metric_only, severity"


def test_missing_task_description(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace("  description: Greet the customer.\n", ""))
    problem = only_problem(path)
    assert (problem.location, problem.field) == (f"{path}:1:1", "task.description")
    assert problem.message == "required field is missing"


def test_duplicate_candidate_ids(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace("checks:", "  - {id: bot, provider: local}\nchecks:"))
    problem = only_problem(path)
    assert (problem.location, problem.field) == (f"{path}:7:1", "candidates")
    assert problem.message == "candidate id 'bot' is used twice"


def test_several_problems_are_reported_together_in_file_order(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """\
        task:
          name: greet
          prompt: "hi {{ name }}"
        dataset:
          path: data.csv
        candidates:
          - id: a
            provider: python
            function: bot:answer
            concurrency: many
          - id: b
            provider: opena
        checks:
          - max_word: 10
        colour: blue
        """,
    )
    problems = problems_of(path)
    assert [(p.location.removeprefix(f"{path}:"), p.field) for p in problems] == [
        ("1:1", "task.description"),
        ("10:5", "candidates[0].concurrency"),
        ("12:5", "candidates[1].provider"),
        ("14:5", "checks[0]"),
        ("15:1", "colour"),
    ]
    with pytest.raises(SuiteValidationError) as caught:
        load_suite(path)
    text = str(caught.value)
    assert text.startswith(f"{path}: 5 problems\n")
    assert f"  {path}:10:5: candidates[0].concurrency: expected a whole number" in text
    allowed = (
        "abstention, candidates, checks, dataset, edges, failure_modes, gate, judge, labels,"
        " leaderboards, load, ready, rubric, severity_weights, task, unclassified_severity,"
        " version, volume"
    )
    assert f"allowed here: {allowed}" in text


@pytest.mark.parametrize(
    ("provider", "key", "url", "said"),
    [
        ("openai", "base_url", "ht!tp://::::", "http or https"),
        ("openai", "base_url", "ftp://example.com/v1", "http or https"),
        ("openai", "base_url", "localhost:8080/v1", "http or https"),
        ("anthropic", "base_url", "https://", "no host"),
        ("http", "url", "http://[::1/answer", "not a url"),
        ("http", "url", "http://host:99999/x", "port"),
    ],
)
def test_a_url_that_cannot_be_reached_is_refused_by_validation(
    tmp_path: Path, provider: str, key: str, url: str, said: str
) -> None:
    extra = {"openai": "model: m", "anthropic": "model: m", "http": "body: {q: x}"}[provider]
    path = write(
        tmp_path,
        GOOD.replace(
            "    provider: python\n    function: bot:answer",
            f"    provider: {provider}\n    {extra}\n    {key}: {url!r}",
        ),
    )
    problem = only_problem(path)
    assert problem.field == f"candidates[0].{key}"
    assert said in problem.message.lower(), problem.message
    assert problem.location.startswith(f"{path}:")


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:8080/v1", "https://api.example.com", "http://[::1]:9/v1", "http://h"]
)
def test_reachable_urls_load(tmp_path: Path, url: str) -> None:
    path = write(
        tmp_path,
        GOOD.replace(
            "    provider: python\n    function: bot:answer",
            f"    provider: openai\n    model: m\n    base_url: {url!r}",
        ),
    )
    assert load_suite(path).suite.candidates[0].base_url == url  # type: ignore[attr-defined]


def _alias_bomb(levels: int) -> str:
    """The "billion laughs": each anchor is a list of ten aliases to the one before."""
    lines = ['a0: &a0 ["lol"]']
    for i in range(1, levels):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]")
    return GOOD + "\n".join(lines) + "\n"


@pytest.mark.parametrize("levels", [7, 9])
def test_an_alias_bomb_is_refused_before_it_is_expanded(tmp_path: Path, levels: int) -> None:
    bomb = _alias_bomb(levels)
    assert len(bomb.encode()) < 1200  # a small file that would expand to 10^(levels-1) values
    path = write(tmp_path, bomb)

    error = suite_error(path)  # expanded, 10^8 strings would take minutes and gigabytes

    assert "aliases" in error.message and str(path) in error.message
    assert error.hint is not None


def test_aliases_within_reason_still_work(tmp_path: Path) -> None:
    shared = GOOD.replace(
        "candidates:\n  - id: bot\n    provider: python\n    function: bot:answer",
        "candidates:\n  - &bot {id: bot, provider: python, function: bot:answer}\n"
        "  - {<<: *bot, id: bot2}",
    )
    loaded = load_suite(write(tmp_path, shared))
    assert [c.id for c in loaded.suite.candidates] == ["bot", "bot2"]


@pytest.mark.parametrize("opener", ["[", "{a: "])
def test_nesting_too_deep_for_the_parser_is_a_suite_error(tmp_path: Path, opener: str) -> None:
    path = write(tmp_path, GOOD + "x: " + opener * 20_000 + "\n")

    error = suite_error(path)

    assert "nested" in error.message and str(path) in error.message


@pytest.mark.parametrize(
    ("ready", "message"),
    [
        ("{min_check_rate: {max-words: 0.9}}", "ready names check 'max-words', which the suite"),
        ("{min_criterion_rate: {tone: 0.9}}", "ready names criterion 'tone'"),
        ("{min_check_rate: {max_words: 1.5}}", "max_words: a rate is between 0 and 1, got 1.5"),
        ("{max_monthly_cost: 100}", "ready.max_monthly_cost needs `volume:`"),
    ],
)
def test_ready_bars_name_what_the_suite_has(tmp_path: Path, ready: str, message: str) -> None:
    path = write(tmp_path, GOOD + f"ready: {ready}\n")
    (tmp_path / "data.csv").write_text("name\nann\n")
    assert any(message in p.message for p in problems_of(path)), problems_of(path)
