"""Layout damage: the text as OCR returns a badly or sideways scanned page.

Character noise alone (see `noise`) is what the other tools do; a real bad scan also
breaks the layout: lines wrap and hyphenate, two columns are read as one, running headers,
footers and page numbers land in the text, and line order scrambles.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator

from fieldeval.edges.generators.base import Draft, EdgeGenerator, Option, Run, number
from fieldeval.edges.generators.noise import ocr_confuse
from fieldeval.edges.generators.text import numbers

_LETTERHEADS = (
    "CUSTOMER CORRESPONDENCE — SCANNED COPY",
    "Consumer Relations Dept. · Incoming Mail",
    "RECEIVED — MAIL ROOM — PLEASE ROUTE",
    "Complaints Unit | Document Imaging",
    "CONFIDENTIAL — FOR INTERNAL USE ONLY",
)
_FOOTERS = ("Page {k} of {n}", "- {k} -", "{k}/{n}", "Page {k}")
_JUNK = "|!l1I.,:;'~_-"  # what text printed sideways or along a fold comes out as


def _wrap(words: list[str], rng: random.Random, width: int, hyphenate: float) -> list[str]:
    lines: list[str] = []
    line = ""
    for word in words:
        if not line:
            line = word
        elif len(line) + 1 + len(word) <= width:
            line += " " + word
        elif len(word) >= 7 and word.isalpha() and rng.random() < hyphenate:
            room = max(3, min(len(word) - 3, width - len(line) - 2))
            lines.append(f"{line} {word[:room]}-")
            line = word[room:]
        else:
            lines.append(line)
            line = word
    if line:
        lines.append(line)
    return lines


def _columns(lines: list[str], rng: random.Random, merge: float) -> list[str]:
    """Two columns read as one: left and right lines alternate, or run together on a row."""
    half = math.ceil(len(lines) / 2)
    left, right = lines[:half], lines[half:]
    out: list[str] = []
    for i, line in enumerate(left):
        if i >= len(right):
            out.append(line)
        elif rng.random() < merge:
            out.append(f"{line}{' ' * rng.randint(3, 8)}{right[i]}")
        else:
            out += [line, right[i]]
    return out


def _scramble(lines: list[str], rng: random.Random, share: float) -> list[str]:
    lines = list(lines)
    for _ in range(round(share * len(lines) / 2)):
        i = rng.randrange(len(lines))
        j = min(len(lines) - 1, i + rng.randint(1, 3))
        lines[i], lines[j] = lines[j], lines[i]
    return lines


def _junk(rng: random.Random) -> str:
    return "".join(rng.choice(_JUNK + " ") for _ in range(rng.randint(5, 24))).strip() or "|"


def _bad_scan(run: Run) -> Iterator[Draft]:
    """A badly scanned page: wrapped and hyphenated lines, interleaved columns, page furniture.

    At `corruption` c (0.05 to 0.6): the text is wrapped to a page width with long words
    hyphenated across lines (chance ~c), read as two interleaved columns (a row of the two
    columns run together with chance c), a share c of lines swapped with a neighbour,
    lines of sideways-scan junk inserted, OCR confusions in a share c/3 of words, and each
    page framed by a fake letterhead and a footer such as "Page 2 of 3". A good reply says
    what it cannot read and never invents a value. Oracle: `numbers` (the original's
    amounts, dates and numbers, for a novel-number check), `page_marks` (the headers and
    footers added, which are not facts), `corruption`.
    """
    c = run.options["corruption"]
    rng = run.rng
    words = run.seed.input.split()
    if not words:
        return
    while True:
        text_words = [ocr_confuse(w, rng) if rng.random() < c / 3 else w for w in words]
        lines = _wrap(text_words, rng, rng.randint(34, 52), min(1.0, 1.5 * c))
        if len(lines) >= 4:
            lines = _columns(lines, rng, c)
        lines = _scramble(lines, rng, c)
        for _ in range(round(c * len(lines) / 4)):
            lines.insert(rng.randrange(len(lines) + 1), _junk(rng))
        per_page = rng.randint(12, 18)
        pages = [lines[i : i + per_page] for i in range(0, len(lines), per_page)]
        head = rng.choice(_LETTERHEADS)
        foot = rng.choice(_FOOTERS)
        marks = [head] + [foot.format(k=k, n=len(pages)) for k in range(1, len(pages) + 1)]
        out: list[str] = []
        for k, page in enumerate(pages, start=1):
            out += [head, "", *page, "", foot.format(k=k, n=len(pages))]
            if k < len(pages):
                out.append("")
        oracle = {
            "numbers": numbers(run.seed.input),
            "page_marks": marks,
            "corruption": c,
        }
        yield Draft("\n".join(out), oracle, f"bad scan at corruption {c:.2f}")


BAD_SCAN = EdgeGenerator(
    "bad_scan",
    "same_answer",
    _bad_scan,
    options=[
        Option(
            "corruption",
            0.3,
            "how damaged the scan is, from 0.05 (light) to 0.6 (barely legible); default 0.3",
            number(0.05, 0.6),
        )
    ],
)
