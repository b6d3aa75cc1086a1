"""The pytest plugin, as a team uses it: a test file of theirs asserting on a suite's results."""

from __future__ import annotations

import textwrap

import pytest

from fieldeval import RateResult

pytest_plugins = ["pytester"]

SUITE = """\
task:
  name: greet
  description: Greet whoever the text names.
  prompt: "Greet {{ text }}"
dataset:
  path: data.csv
  id: id
candidates:
  - {id: bot, provider: python, function: "bot:answer"}
checks:
  - {starts_with: hello, id: greets}
"""

CONSUMER_TEST = """\
def test_greets(fieldeval_suite):
    result = fieldeval_suite("evals/suite.yaml")
    assert result.pass_rate("greets") >= 0.9

def test_lower_bound(fieldeval_suite):
    result = fieldeval_suite("evals/suite.yaml")
    assert result.pass_rate().lower > 0.5

def test_same_run_for_the_session(fieldeval_suite):
    assert fieldeval_suite("evals/suite.yaml") is fieldeval_suite("evals/suite.yaml")
"""


def make_project(pytester: pytest.Pytester, answer: str) -> None:
    evals = pytester.mkdir("evals")
    rows = "\n".join(f"e{i},friend {i}" for i in range(10))
    (evals / "data.csv").write_text(f"id,text\n{rows}\n", encoding="utf-8")
    (evals / "suite.yaml").write_text(SUITE, encoding="utf-8")
    (evals / "bot.py").write_text(textwrap.dedent(answer), encoding="utf-8")
    pytester.makepyfile(test_consumer=CONSUMER_TEST)


def test_a_good_suite_passes_in_the_teams_tests(pytester: pytest.Pytester) -> None:
    make_project(
        pytester,
        """\
        def answer(request):
            return "hello " + request.variables["text"]
        """,
    )
    # A fresh process: the plugin is found through its pytest11 entry point.
    result = pytester.runpytest_subprocess("--fieldeval-db", str(pytester.path / "r.db"))
    result.assert_outcomes(passed=3)


def test_a_bad_suite_fails_with_a_readable_message(pytester: pytest.Pytester) -> None:
    make_project(
        pytester,
        """\
        def answer(request):
            number = int(request.variables["id"][1:])
            return ("hello " if number < 4 else "hey ") + request.variables["text"]
        """,
    )
    result = pytester.runpytest_subprocess("--fieldeval-db", str(pytester.path / "r.db"))
    result.assert_outcomes(passed=1, failed=2)
    # `rate >= 0.9`: the plugin explains the rate, interval, n and the failing outputs.
    result.stdout.fnmatch_lines(
        [
            "*assert greets for bot: 40% (4/10), 95% CI 17%–69% >= 0.9 is false*",
            "*pass rate 0.400 over n=10; 95% interval ?0.168, 0.687?*",
            "*failing outputs (example ids): e4, e5, e6, e7, e8 (+1 more)*",
        ]
    )
    # `.lower > 0.5`: pytest shows the RateResult's repr beside the bound.
    result.stdout.fnmatch_lines(
        ["*RateResult(pass rate for bot: 40% (4/10), 95% CI 17%–69%; failing: e4, e5*"]
    )
    result.stdout.fnmatch_lines(
        ["*where pass_rate = Evaluation(run *, suite greet, 10 outputs of bot)*"]
    )


def test_rate_result_reads_like_a_sentence() -> None:
    rate = RateResult("tone", "gemma", k=15, n=24, lower=0.42, upper=0.79)
    assert str(rate) == "tone for gemma: 62% (15/24), 95% CI 42%–79%"
    assert rate > 0.6 and rate < 0.7 and rate >= 0.625 and rate <= 0.625
    empty = RateResult("tone", "gemma", k=0, n=0, lower=0.0, upper=1.0)
    assert empty.value is None
    assert not empty > 0.1 and not empty < 0.1  # nothing counted never passes a threshold
