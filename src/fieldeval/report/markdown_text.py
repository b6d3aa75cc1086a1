"""Text in the Markdown report: untrusted text escaped, fieldeval's own sentences, tables.

Text from the dataset or a model goes through `untrusted`, which leaves no Markdown or HTML
in it: an output cannot add a link, an image, a script or a table cell to the comment.
"""

from __future__ import annotations

from collections.abc import Sequence

from fieldeval.cost.intervals import Interval
from fieldeval.decision.recommendation import pct, usd
from fieldeval.notation import visible_controls
from fieldeval.stats.intervals import Proportion

_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
# Entities, not backslashes: a backslash escape would leave the character for GitHub's
# autolinker to see, and `javascript:`, `https://` or `a@b.c` would become links.
_UNTRUSTED_ENTITIES = {**_ENTITIES, '"': "&quot;", "'": "&#39;", ":": "&#58;", "@": "&#64;"}
# Every character Markdown gives a meaning somewhere; `$` opens GitHub's math.
_MARKDOWN = frozenset("\\`*_{}[]()#+-.!|~=$")
# In fieldeval's own sentences: the characters that could still start markup there.
_PLAIN = frozenset("\\`*_[]|$")


def untrusted(text: str) -> str:
    """Dataset or model text, shown as itself: every character Markdown or HTML reads escaped.

    Whitespace runs become one space, since a newline would end a table row; bidirectional
    controls are written as ⟨U+XXXX⟩, never applied.
    """
    flat = visible_controls(" ".join(text.split()))
    return "".join(_escape(ch, _UNTRUSTED_ENTITIES, _MARKDOWN) for ch in flat)


def plain(text: str) -> str:
    """fieldeval's own sentences (ids and numbers in them): markup characters escaped."""
    return "".join(_escape(ch, _ENTITIES, _PLAIN) for ch in " ".join(text.split()))


def _escape(ch: str, entities: dict[str, str], backslashed: frozenset[str]) -> str:
    if ch in entities:
        return entities[ch]
    return "\\" + ch if ch in backslashed else ch


def rate_cell(rate: Proportion) -> str:
    """`40% [22–61%] (10/25)`; with repeats `(of 25 examples)`."""
    if rate.n == 0:
        return "– (n=0)"
    if not rate.has_interval:
        return f"{pct(rate.value)} ({rate.counted}: no interval)"
    return f"{pct(rate.value)} [{pct(rate.low)}–{pct(rate.high)}] ({rate.counted})"


def table(headers: Sequence[str], rows: Sequence[Sequence[str]], right: Sequence[int] = ()) -> str:
    rule = ["---:" if i in right else "---" for i in range(len(headers))]
    lines = [headers, rule, *rows]
    return "\n".join("| " + " | ".join(cells) + " |" for cells in lines)


def usd_text(value: float | None) -> str:
    # Two dollar signs in a row of text open GitHub's inline math.
    return plain(usd(value))


def usd_interval(interval: Interval, scale: float = 1.0) -> str:
    """`$0.27 [$0.25 to $0.29]`, or `$0.27 (the same on all 40: no interval)`."""
    value = usd_text(interval.value * scale)
    if not interval.varies:
        return f"{value} (the same on all {interval.n}: no interval)"
    return f"{value} [{usd_text(interval.low * scale)} to {usd_text(interval.high * scale)}]"
