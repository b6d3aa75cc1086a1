"""The `fieldeval` command, run as a real subprocess the way a user runs it."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

COMPLAINTS = Path(__file__).resolve().parents[2] / "examples" / "complaints" / "complaints.csv"


def fieldeval(cwd: Path, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("FIELDEVAL_DB", "MISSING_KEY_XYZ")}
    env["COLUMNS"] = "200"  # rich wraps at 80 columns when not on a terminal
    return subprocess.run(
        [sys.executable, "-m", "fieldeval", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def write(path: Path, text: str) -> Path:
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def assert_user_error(result: subprocess.CompletedProcess[str]) -> None:
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith("error: ")
    assert "Traceback" not in result.stderr + result.stdout


@pytest.fixture
def greet(tmp_path: Path) -> Path:
    """A suite over a three-row CSV answered by a Python function in the same folder."""
    (tmp_path / "data.csv").write_text("id,text\na1,world\na2,big wide world out there\na3,you\n")
    write(
        tmp_path / "bot.py",
        """\
        def answer(request):
            return "hello " + request.variables["text"]
        """,
    )
    return write(
        tmp_path / "suite.yaml",
        """\
        task:
          name: greet
          description: Greet whoever the text names.
          prompt: "Greet {{ text }}"
        dataset:
          path: data.csv
          id: id
        candidates:
          - id: greeter
            provider: python
            function: bot:answer
        checks:
          - {max_words: 3, id: short}
          - {starts_with: hello}
        """,
    )


def test_help_lists_the_commands(tmp_path: Path) -> None:
    result = fieldeval(tmp_path, "--help")
    assert result.returncode == 0, result.stderr
    for command in ("init", "validate", "run", "runs", "show"):
        assert re.search(rf"│ {command}\s", result.stdout), command


def test_validate_a_good_suite(tmp_path: Path, greet: Path) -> None:
    result = fieldeval(tmp_path, "validate", "suite.yaml")
    assert result.returncode == 0, result.stderr
    assert "ok suite.yaml: task 'greet', 3 examples" in result.stdout
    assert "1 candidate, 2 checks" in result.stdout


def test_validate_a_broken_suite_prints_locations_and_hints(tmp_path: Path, greet: Path) -> None:
    text = greet.read_text().replace("candidates:", "candidats:").replace("  id: id", "  idd: id")
    greet.write_text(text)
    result = fieldeval(tmp_path, "validate", "suite.yaml")
    assert_user_error(result)
    assert result.stdout == ""
    assert "error: suite.yaml: 3 problems" in result.stderr
    assert "suite.yaml:7:3: dataset.idd: unknown key" in result.stderr
    assert "hint: did you mean 'id'?" in result.stderr
    assert "suite.yaml:8:1: candidats: unknown key" in result.stderr
    assert "hint: did you mean 'candidates'?" in result.stderr


def test_validate_a_suite_that_is_not_yaml(tmp_path: Path) -> None:
    write(tmp_path / "suite.yaml", 'task:\n  name: "greet\n')
    result = fieldeval(tmp_path, "validate", "suite.yaml")
    assert_user_error(result)
    assert "suite.yaml:2:9: YAML syntax error: unclosed quote" in result.stderr
    assert "hint: close the quote" in result.stderr


def test_init_writes_a_suite_that_validates_and_is_not_overwritten(tmp_path: Path) -> None:
    shutil.copy(COMPLAINTS, tmp_path / "data.csv")
    result = fieldeval(tmp_path, "init", "--from", "data.csv")
    assert result.returncode == 0, result.stderr
    suite = tmp_path / "suite.yaml"
    written = suite.read_text()
    assert "{{ narrative }}" in written

    result = fieldeval(tmp_path, "validate", "suite.yaml")
    assert result.returncode == 0, result.stderr
    assert "25 examples" in result.stdout

    suite.write_text(written + "# my edits\n")
    result = fieldeval(tmp_path, "init", "--from", "data.csv")
    assert_user_error(result)
    assert "suite.yaml already exists" in result.stderr
    assert "--force" in result.stderr
    assert suite.read_text().endswith("# my edits\n")

    result = fieldeval(tmp_path, "init", "--from", "data.csv", "--force")
    assert result.returncode == 0, result.stderr
    assert suite.read_text() == written


def test_a_prompt_naming_a_missing_field(tmp_path: Path, greet: Path) -> None:
    greet.write_text(greet.read_text().replace("{{ text }}", "{{ txet }}"))
    result = fieldeval(tmp_path, "validate", "suite.yaml")
    assert_user_error(result)
    assert "'txet'" in result.stderr
    assert "id, text" in result.stderr  # the fields the data does have


def test_a_dataset_that_does_not_exist(tmp_path: Path, greet: Path) -> None:
    greet.write_text(greet.read_text().replace("path: data.csv", "path: nope.csv"))
    result = fieldeval(tmp_path, "validate", "suite.yaml")
    assert_user_error(result)
    assert "nope.csv" in result.stderr


def test_a_csv_without_the_id_column(tmp_path: Path, greet: Path) -> None:
    (tmp_path / "data.csv").write_text("ticket_id,text\na1,world\na2,you\n")
    greet.write_text(greet.read_text().replace("id: id", "id: ticket"))
    result = fieldeval(tmp_path, "validate", "suite.yaml")
    assert_user_error(result)
    assert "'ticket'" in result.stderr
    assert "did you mean 'ticket_id'?" in result.stderr


def test_run_then_runs_then_show(tmp_path: Path, greet: Path) -> None:
    result = fieldeval(tmp_path, "run", "suite.yaml", "--quiet")
    assert result.returncode == 0, result.stderr
    stored = re.search(r"results stored in (\S+) as run (\S+)", result.stdout)
    assert stored is not None, result.stdout
    url, run_id = stored.groups()
    assert url.endswith(".fieldeval/fieldeval.db")
    assert (tmp_path / ".fieldeval" / "fieldeval.db").is_file()
    # "big wide world out there" makes the answer too long: 2 of 3 pass.
    row = re.search(r"│ greeter\s+│ 3 │\s+67% 2/3 \[\d+–\d+%\]", result.stdout)
    assert row is not None, result.stdout

    result = fieldeval(tmp_path, "runs")
    assert result.returncode == 0, result.stderr
    assert run_id in result.stdout
    assert re.search(rf"{run_id}\s+│ greet\s+│ finished\s+│ 3/3", result.stdout)

    result = fieldeval(tmp_path, "show", run_id[:12])
    assert result.returncode == 0, result.stderr
    assert f"run {run_id}" in result.stdout
    assert re.search(r"│ greeter\s+│ 3 │\s+67% 2/3", result.stdout)
    assert re.search(r"│ short\s+│\s+1/3 │", result.stdout)


def test_run_with_a_missing_api_key_names_the_variable(tmp_path: Path, greet: Path) -> None:
    greet.write_text(
        greet.read_text().replace(
            "provider: python\n    function: bot:answer",
            "provider: openai\n    model: gpt-4o-mini\n    api_key_env: MISSING_KEY_XYZ",
        )
    )
    result = fieldeval(tmp_path, "run", "suite.yaml", "--quiet")
    assert_user_error(result)
    assert "MISSING_KEY_XYZ" in result.stderr
    assert "results stored in" not in result.stdout


def test_a_run_in_which_no_call_was_answered_exits_3_and_keeps_the_run(
    tmp_path: Path, greet: Path
) -> None:
    with socket.socket() as probe:  # a port nothing listens on: every call is refused
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    greet.write_text(
        greet.read_text().replace(
            "provider: python\n    function: bot:answer",
            f"provider: openai\n    model: m\n    base_url: http://127.0.0.1:{port}/v1\n"
            "    api_key_env: null\n    retry: {attempts: 1}",
        )
    )
    result = fieldeval(tmp_path, "run", "suite.yaml", "--quiet")

    assert result.returncode == 3, result.stdout + result.stderr
    assert "no call was answered" in result.stderr
    assert "connection" in result.stderr  # the kind of error, counted
    assert "Traceback" not in result.stderr
    # The run and its errors are stored: the summary was shown, and `runs` lists it.
    assert re.search(r"│ greeter\s+│ 3 │", result.stdout), result.stdout
    assert "finished" in fieldeval(tmp_path, "runs").stdout


def test_validate_warns_when_a_candidates_key_variable_is_unset(
    tmp_path: Path, greet: Path
) -> None:
    greet.write_text(
        greet.read_text().replace(
            "provider: python\n    function: bot:answer",
            "provider: openai\n    model: gpt-4o-mini\n    api_key_env: MISSING_KEY_XYZ",
        )
    )
    result = fieldeval(tmp_path, "validate", "suite.yaml")

    assert result.returncode == 0, result.stderr  # the suite itself is fine
    assert "warning" in result.stdout and "MISSING_KEY_XYZ" in result.stdout
    assert "export MISSING_KEY_XYZ=" in result.stdout


def test_validate_warns_of_empty_inputs_and_inputs_past_any_context(
    tmp_path: Path, greet: Path
) -> None:
    """The audit: a 5 MB cell and an empty input cell passed `validate` without a word."""
    huge = "word " * 1_000_000  # 5 MB
    rows = ["id,text", "a1,world", "a2,", 'a3," "', f"a4,{huge}"]
    (tmp_path / "data.csv").write_text("\n".join(rows) + "\n")
    result = fieldeval(tmp_path, "validate", "suite.yaml")
    assert result.returncode == 0, result.stderr
    out = " ".join(result.stdout.split())  # rich folds long lines
    assert "warning: 2 examples have an empty input (a2, a3)" in out
    assert "warning: 1 example has input longer than 100,000 characters, the longest" in out
    assert "(about 1,250,000 tokens; a4)" in out


def test_validate_names_dropped_copies_and_inputs_the_data_answers_two_ways(
    tmp_path: Path, greet: Path
) -> None:
    """The audit: 108 identical rows dropped and 47 conflicting duplicates kept, silently."""
    rows = [
        "text,reply",
        "world,hi",
        "world,hi",  # a copy of the row above: dropped
        "world,hi",
        "moon,hello",
        "moon,good night",  # the same input answered another way
        "sun,hey",
        "sun  ,hey",  # the same input again, with the same reference
    ]
    (tmp_path / "data.csv").write_text("\n".join(rows) + "\n")
    greet.write_text(greet.read_text().replace("  id: id\n", "  reference: reply\n"))
    result = fieldeval(tmp_path, "validate", "suite.yaml")
    assert result.returncode == 0, result.stderr
    out = " ".join(result.stdout.split())
    assert ", 5 examples (" in out
    assert "warning: 2 rows repeat an earlier row in every field and were dropped" in out
    assert "(data.csv:3, data.csv:4)" in out
    assert "warning: 1 input appears in more than one example with different references" in out
    assert "warning: 1 input appears in more than one example (" in out


@pytest.mark.parametrize(
    ("check", "template"),
    [
        ("{equals: '{{ nosuchcol }}'}", True),
        ("{contains: '{{ 1/0 }}'}", True),
        ("{regex: '{{ text }}('}", False),  # renders, then does not compile as a regex
    ],
)
def test_a_check_template_that_fails_stops_validate_and_run_before_any_call(
    tmp_path: Path, greet: Path, check: str, template: bool
) -> None:
    greet.write_text(greet.read_text().replace("  - {starts_with: hello}", f"  - {check}"))
    write(
        tmp_path / "bot.py",
        """\
        import pathlib

        def answer(request):
            with pathlib.Path("calls.log").open("a") as log:
                log.write("call\\n")
            return "hello " + request.variables["text"]
        """,
    )

    checked = fieldeval(tmp_path, "validate", "suite.yaml")
    assert_user_error(checked)
    assert "check " in checked.stderr
    if template:  # the template's file and line, and the example it failed on
        assert re.search(r"suite\.yaml:14: check '\w+' on example data\.csv:2", checked.stderr)

    ran = fieldeval(tmp_path, "run", "suite.yaml", "--quiet")
    assert_user_error(ran)
    assert "Traceback" not in ran.stderr and "ExceptionGroup" not in ran.stderr
    assert not (tmp_path / "calls.log").exists()  # not one call was made, let alone paid
    assert "interrupted" not in fieldeval(tmp_path, "runs").stdout


def test_an_http_apps_body_template_is_rendered_by_validate_and_before_any_call(
    tmp_path: Path, greet: Path
) -> None:
    # The app's own request template is rendered per example too; a field the data lacks
    # must fail where the checks' templates fail: in validate, and in run before a call.
    greet.write_text(
        greet.read_text().replace(
            "provider: python\n    function: bot:answer",
            'provider: http\n    url: "http://127.0.0.1:9/ask"\n'
            '    body: {question: "{{ text }}", user: "{{ user_id }}"}\n'
            '    response_path: "$.answer"',
        )
    )

    checked = fieldeval(tmp_path, "validate", "suite.yaml")
    assert_user_error(checked)
    assert re.search(
        r"suite\.yaml:1[0-9]: body\.user: template '\{\{ user_id \}\}'", checked.stderr
    )
    assert "'user_id' is undefined" in checked.stderr and "fields are: id," in checked.stderr

    ran = fieldeval(tmp_path, "run", "suite.yaml", "--quiet")
    assert_user_error(ran)
    assert "body.user" in ran.stderr and "Traceback" not in ran.stderr
    assert "greet" not in fieldeval(tmp_path, "runs").stdout  # no run was even started
