"""Surface noise: typing slips, OCR character confusions, case and invisible Unicode.

The words and facts stay; only their spelling or encoding changes, so a good reply gives
the clean original's answer (`same_answer`).
"""

from __future__ import annotations

import random
import re
import unicodedata
from collections.abc import Callable, Iterator

from fieldeval.edges.generators.base import Draft, EdgeGenerator, Option, Run, choices, number
from fieldeval.edges.generators.text import numbers, word_spans

_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm")
_NEIGHBOURS: dict[str, str] = {}
for _r, _row in enumerate(_ROWS):
    for _c, _key in enumerate(_row):
        near = [_row[i] for i in (_c - 1, _c + 1) if 0 <= i < len(_row)]
        for _other in (_r - 1, _r + 1):
            if 0 <= _other < len(_ROWS):
                near += [_ROWS[_other][i] for i in (_c - 1, _c) if 0 <= i < len(_ROWS[_other])]
        _NEIGHBOURS[_key] = "".join(sorted(set(near)))


def _neighbour(char: str, rng: random.Random) -> str:
    keys = _NEIGHBOURS.get(char.lower(), "")
    if not keys:
        return char
    pick = rng.choice(keys)
    return pick.upper() if char.isupper() else pick


def _like(char: str, model: str) -> str:
    """`char` in the case of `model` (a swap keeps the capital where it was: Acme, Came)."""
    return char.upper() if model.isupper() else char.lower()


def typo(word: str, rng: random.Random) -> str:
    """One keyboard slip in `word`: swap two letters, drop one, or hit a neighbouring key."""
    letters = [i for i, c in enumerate(word) if c.isalpha()]
    for _ in range(8):
        i = rng.choice(letters)
        op = rng.choice(("swap", "drop", "insert", "replace"))
        if op == "swap" and i + 1 in letters and word[i].lower() != word[i + 1].lower():
            first, second = _like(word[i + 1], word[i]), _like(word[i], word[i + 1])
            return word[:i] + first + second + word[i + 2 :]
        if op == "drop" and len(letters) >= 3:
            return word[:i] + word[i + 1 :]
        if op == "insert" and word[i].lower() in _NEIGHBOURS:
            return word[: i + 1] + _neighbour(word[i], rng) + word[i + 1 :]
        if op == "replace" and word[i].lower() in _NEIGHBOURS:
            changed = word[:i] + _neighbour(word[i], rng) + word[i + 1 :]
            if changed != word:
                return changed
    return word


# What OCR reads for what is printed: digits and letters, letter pairs, ligatures.
OCR_CONFUSIONS: tuple[tuple[str, str], ...] = (
    ("0", "O"),
    ("O", "0"),
    ("o", "0"),
    ("1", "l"),
    ("l", "1"),
    ("I", "l"),
    ("l", "I"),
    ("1", "I"),
    ("rn", "m"),
    ("m", "rn"),
    ("cl", "d"),
    ("d", "cl"),
    ("w", "vv"),
    ("5", "S"),
    ("S", "5"),
    ("8", "B"),
    ("e", "c"),
    ("h", "b"),
    ("fi", "ﬁ"),
    ("fl", "ﬂ"),
    ("ff", "ﬀ"),
    ("fi", "f i"),
)


def _confusable(word: str) -> bool:
    return any(right in word for right, _ in OCR_CONFUSIONS)


def ocr_confuse(word: str, rng: random.Random) -> str:
    """One OCR confusion in `word` (or `word` itself when none applies)."""
    options = [
        (m.start(), wrong, right)
        for right, wrong in OCR_CONFUSIONS
        for m in re.finditer(re.escape(right), word)
    ]
    if not options:
        return word
    at, wrong, right = rng.choice(options)
    return word[:at] + wrong + word[at + len(right) :]


def _rewrite_words(
    text: str,
    rng: random.Random,
    rate: float,
    change: Callable[[str, random.Random], str],
    eligible: Callable[[str], bool],
) -> tuple[str, list[list[str]]]:
    """`text` with `change` applied to a share `rate` of its words (at least one)."""
    spans = [s for s in word_spans(text) if eligible(text[s.start : s.end])]
    if not spans:
        return text, []
    k = max(1, round(rate * len(word_spans(text))))
    chosen = sorted(rng.sample(spans, min(k, len(spans))), key=lambda s: s.start)
    pieces: list[str] = []
    changes: list[list[str]] = []
    last = 0
    for span in chosen:
        before = text[span.start : span.end]
        after = change(before, rng)
        pieces += [text[last : span.start], after]
        last = span.end
        if after != before:
            changes.append([before, after])
    pieces.append(text[last:])
    return "".join(pieces), changes


def _typeable(word: str) -> bool:
    # Numbers and redaction marks (XXXX) stay as they are: a slip there changes a fact.
    letters = sum(c.isalpha() for c in word)
    return letters >= 2 and not any(c.isdigit() for c in word) and word.strip("X/.,") != ""


def _typos(run: Run) -> Iterator[Draft]:
    """Keyboard slips: adjacent letters swapped, a letter dropped, a neighbouring key hit.

    A share `rate` of the words (at least one) gets one slip each; words with fewer than
    two letters and numbers are left alone, so every fact survives. Oracle: `changes`,
    the [before, after] pairs.
    """
    rate = run.options["rate"]
    while True:
        noisy, changes = _rewrite_words(run.seed.input, run.rng, rate, typo, _typeable)
        if not changes:
            return
        yield Draft(noisy, {"changes": changes}, f"{len(changes)} typing slips")


def _ocr(run: Run) -> Iterator[Draft]:
    """OCR character confusions: 0/O, 1/l/I, rn/m, cl/d, 5/S, and broken ligatures (ﬁ, f i).

    A share `rate` of the words (at least one) gets one confusion each, digits included,
    as a real OCR pass would. Oracle: `changes` and `numbers` (the original's amounts,
    dates and numbers, for a check that none was misread into a new value).
    """
    rate = run.options["rate"]
    while True:
        noisy, changes = _rewrite_words(run.seed.input, run.rng, rate, ocr_confuse, _confusable)
        if not changes:
            return
        oracle = {"changes": changes, "numbers": numbers(run.seed.input)}
        yield Draft(noisy, oracle, f"{len(changes)} OCR confusions")


_ZERO_WIDTH = ("\u200b", "\u200c", "\u200d", "\u2060", "\ufeff")
_HOMOGLYPHS = dict(
    zip("aceopxyiABCEHKMOPTX", "асеорхуіАВСЕНКМОРТХ", strict=True)  # Cyrillic look-alikes
)
FORMS = ("all_caps", "no_punctuation", "extra_whitespace", "zero_width", "nbsp", "homoglyphs")


def _no_punctuation(text: str) -> str:
    # Punctuation inside a number ("1,200.50", "12/03") stays: removing it changes a value.
    kept = []
    for i, char in enumerate(text):
        if unicodedata.category(char).startswith("P"):
            between_digits = (
                0 < i < len(text) - 1 and text[i - 1].isdigit() and text[i + 1].isdigit()
            )
            if not between_digits:
                continue
        kept.append(char)
    return re.sub(r"[ \t]{2,}", " ", "".join(kept))


def _extra_whitespace(text: str, rng: random.Random, rate: float) -> str:
    def gap(_: re.Match[str]) -> str:
        if rng.random() >= rate:
            return " "
        return rng.choice(("  ", "   ", " \t", "\t", "\n", "\n\n   ", "     "))

    return "  " + re.sub(r" ", gap, text) + " \n\n"


def _inside_words(text: str, rng: random.Random, rate: float, change: Callable[[str], str]) -> str:
    noisy, _ = _rewrite_words(text, rng, rate, lambda w, _r: change(w), lambda w: len(w) >= 2)
    return noisy


def apply_form(form: str, text: str, rng: random.Random, rate: float) -> str:
    """`text` in one of the FORMS."""
    if form == "all_caps":
        return text.upper()
    if form == "no_punctuation":
        return _no_punctuation(text)
    if form == "extra_whitespace":
        return _extra_whitespace(text, rng, rate)
    if form == "zero_width":

        def hide(word: str) -> str:
            at = rng.randrange(1, len(word))
            return word[:at] + rng.choice(_ZERO_WIDTH) + word[at:]

        return _inside_words(text, rng, rate, hide)
    if form == "nbsp":
        return re.sub(" ", lambda _: "\u00a0" if rng.random() < 0.85 else "\u202f", text)
    if form == "homoglyphs":

        def swap(word: str) -> str:
            at = [i for i, c in enumerate(word) if c in _HOMOGLYPHS]
            if not at:
                return word
            i = rng.choice(at)
            return word[:i] + _HOMOGLYPHS[word[i]] + word[i + 1 :]

        return _inside_words(text, rng, rate, swap)
    raise ValueError(form)


def _case_unicode(run: Run) -> Iterator[Draft]:
    """ALL CAPS, no punctuation, extra whitespace, zero-width characters, NBSP, homoglyphs.

    Each variant takes the next of `forms` (in an order drawn from the rng); the per-word
    forms (zero-width, homoglyphs, extra whitespace) touch a share `rate` of the words.
    A form that changes nothing (ALL CAPS of a text already in capitals) is skipped; an
    empty seed gives [].
    Oracle: `form`.
    """
    if not run.seed.input.strip():
        return
    forms = list(run.options["forms"])
    run.rng.shuffle(forms)
    for _ in range(3):  # the random forms can make a new text on a second pass
        for form in forms:
            yield Draft(
                apply_form(form, run.seed.input, run.rng, run.options["rate"]),
                {"form": form},
                form.replace("_", " "),
            )


_RATE_HELP = "a share of the words, from 0.01 to 1"

TYPOS = EdgeGenerator(
    "typos",
    "same_answer",
    _typos,
    options=[Option("rate", 0.05, _RATE_HELP + " (default 0.05)", number(0.01, 1.0))],
)
OCR_NOISE = EdgeGenerator(
    "ocr_noise",
    "same_answer",
    _ocr,
    options=[Option("rate", 0.1, _RATE_HELP + " (default 0.1)", number(0.01, 1.0))],
)
CASE_UNICODE = EdgeGenerator(
    "case_unicode",
    "same_answer",
    _case_unicode,
    options=[
        Option("forms", FORMS, f"a list of: {', '.join(FORMS)} (default all)", choices(FORMS)),
        Option("rate", 0.3, _RATE_HELP + " (default 0.3)", number(0.01, 1.0)),
    ],
)
