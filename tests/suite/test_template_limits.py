"""Templates are the suite author's code: whatever they raise, or however much they ask
for, the answer is a suite error naming the template, in bounded time and memory."""

from __future__ import annotations

import time

import pytest

from fieldeval.errors import SuiteError
from fieldeval.suite.template import render

FIELDS = {"text": "a complaint about a fee", "n": 3}

RAISING = [
    "{{ 1/0 }}",
    "{{ 10**5000 }}",
    "{{ cycler() }}",
    "{{ 'a'|wordwrap(0) }}",
    "{{ text / text }}",
    "{% include '/etc/passwd' %}",
    "{{ text[10**6] }}",
    "{{ {}|attr('x')() }}",
    "{% macro m() %}{{ m() }}{% endmacro %}{{ m() }}",
    "{{ '%d'|format('x') }}",
]
HUGE = [
    "{{ 'a' * 3000000000 }}",
    "{{ ['a'] * 3000000000 }}",
    "{{ 'a'|center(10**9) }}",
    "{{ text|indent(10**9) }}",
    "{{ 10 ** 100000000 }}",
    "{{ '{:>999999999}'.format(1) }}",
    "{{ '%0999999999d'|format(1) }}",
    "{{ 'x' * 900000 * 900000 }}",
    "{% for i in range(99999) %}{{ text * 99 }}{% endfor %}",
    "{% for a in range(99999) %}{% for b in range(99999) %}{% endfor %}{% endfor %}",
]


@pytest.mark.parametrize("source", RAISING)
def test_a_template_that_raises_is_a_suite_error_naming_it(source: str) -> None:
    with pytest.raises(SuiteError) as caught:
        render(source, FIELDS, where="prompt on example data.csv:2")
    message = caught.value.message
    assert "prompt on example data.csv:2" in message
    assert source[:20] in message


@pytest.mark.parametrize("source", HUGE)
def test_a_template_that_asks_for_too_much_is_refused_quickly(source: str) -> None:
    started = time.thread_time()
    with pytest.raises(SuiteError) as caught:
        render(source, FIELDS, where="prompt")
    # CPU time of this thread (not the process's other threads, which a busy test session
    # has): a render that ran away would take seconds, or the memory.
    assert time.thread_time() - started < 2.0
    assert "too large" in caught.value.message or "limit" in caught.value.message


def test_ordinary_templates_still_render() -> None:
    assert render("{{ text|upper }} x{{ n * 2 }} {{ '-' * 10 }}", FIELDS) == (
        "A COMPLAINT ABOUT A FEE x6 ----------"
    )
    assert render("{{ text|center(30) }}", FIELDS).strip() == FIELDS["text"]
    assert render("{{ 2 ** 10 }} {{ '%05d'|format(n) }}", FIELDS) == "1024 00003"


def test_ranges_within_the_budget_still_loop() -> None:
    assert render("{% for i in range(3) %}{{ i }}{% endfor %}", FIELDS) == "012"
    again = "{% for a in range(500) %}{% for b in range(500) %}{% endfor %}{% endfor %}ok"
    assert render(again, FIELDS) == "ok"  # 250,000 steps: inside the budget
    assert render(again, FIELDS) == "ok"  # and the budget is per render


@pytest.mark.parametrize(
    "source",
    [
        "{{ '{:>999999999}'.format(1) }}",
        "{{ '%0999999999d'|format(1) }}",
        "{{ '%0999999999d' % 1 }}",
    ],
)
def test_a_huge_width_is_refused_before_the_text_is_made(source: str) -> None:
    # Not by the rendered-size limit after a gigabyte was allocated: by the width itself.
    with pytest.raises(SuiteError, match="a format width of 999,999,999"):
        render(source, FIELDS, where="prompt")
