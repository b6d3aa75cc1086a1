"""Untrusted text shown as itself: bidirectional controls are written out, never applied."""

from __future__ import annotations

import pytest
from markupsafe import Markup

from fieldeval.notation import number, shown_as_text, signed, visible_controls
from fieldeval.report.decision_html import _environment
from fieldeval.report.markdown_text import untrusted
from fieldeval.web.templating import templates

# "Trojan Source": RLO makes `refund denied` display as `deined dnufer`; LRI/PDI isolate.
REORDERED = "ok \u202erefund denied\u202c and \u2066isolated\u2069 \u200fmark"
CONTROLS = ("\u202e", "\u202c", "\u2066", "\u2069", "\u200f")


def test_every_control_is_written_as_its_code_point() -> None:
    shown = visible_controls(REORDERED)
    assert not any(ch in shown for ch in CONTROLS)
    assert shown == ("ok ⟨U+202E⟩refund denied⟨U+202C⟩ and ⟨U+2066⟩isolated⟨U+2069⟩ ⟨U+200F⟩mark")
    assert visible_controls("plain café text") == "plain café text"


@pytest.mark.parametrize(
    "environment", [templates.env, _environment()], ids=["web app", "decision report"]
)
def test_the_pages_show_controls_instead_of_applying_them(environment: object) -> None:
    page = environment.from_string("<p>{{ output }}</p>").render(output=REORDERED)  # type: ignore[attr-defined]
    assert not any(ch in page for ch in CONTROLS)
    assert "⟨U+202E⟩refund denied⟨U+202C⟩" in page
    # Still escaped: the finalize step does not turn text into markup.
    assert "&lt;b&gt;" in environment.from_string("{{ x }}").render(x="<b>\u202e")  # type: ignore[attr-defined]


def test_markup_stays_markup_and_plain_values_pass() -> None:
    assert isinstance(shown_as_text(Markup("<b>\u202e</b>")), Markup)
    assert shown_as_text(Markup("<b>x</b>")) == Markup("<b>x</b>")
    assert shown_as_text(3) == 3


def test_the_markdown_report_shows_them_too() -> None:
    shown = untrusted(REORDERED)
    assert not any(ch in shown for ch in CONTROLS)
    # Markdown's own escape of "+" renders as "+": the reader sees ⟨U+202E⟩.
    assert "⟨U\\+202E⟩refund denied⟨U\\+202C⟩" in shown


def test_an_amount_keeps_its_significant_figures() -> None:
    # The demo's comparison showed "$0.0000 → $0.0000" for calls of $0.000016.
    assert number(0.000016, "$") == "$0.000016"
    assert signed(-0.0000162, "$") == "−$0.000016"
    assert number(12.345, "$") == "$12"
    assert number(0.0, "$") == "$0"
