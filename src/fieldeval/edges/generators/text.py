"""Plain-text helpers the generators share: sentences, words, facts and language names.

Deliberately simple rules, no models: sentences end at `.`, `!`, `?` or a line break;
facts are amounts, dates, other numbers and capitalised names found by regular
expressions. Redaction marks such as the CFPB's `XXXX` and `XX/XX/XXXX` are not facts.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

_SENTENCE_END = re.compile(r"[.!?]+[\"'”’)\]}]*(?=\s|$)|\n")

_MONTH = (
    r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?"
    r"|Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)"
)
_AMOUNT = re.compile(
    r"(?:[$€£]\s?\d[\d,]*(?:\.\d+)?"
    r"|\d[\d,]*(?:\.\d+)?\s?(?:%|percent\b|dollars\b|euros?\b|pounds\b|USD\b|EUR\b|GBP\b))"
)
_DATE = re.compile(
    rf"(?:\b\d{{1,2}}[/.-]\d{{1,2}}[/.-]\d{{2,4}}\b|\b\d{{4}}-\d{{2}}-\d{{2}}\b"
    rf"|\b{_MONTH}\.?\s+\d{{1,2}}(?:st|nd|rd|th)?(?:,?\s+\d{{4}})?\b"
    rf"|\b\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTH}\b(?:,?\s+\d{{4}})?"
    rf"|\b{_MONTH}\s+\d{{4}}\b)"
)
_NUMBER = re.compile(r"\b\d[\d,]*(?:\.\d+)?\b")
_NAME = re.compile(
    r"\b[A-Z][A-Za-z&'’-]*[a-z][A-Za-z&'’-]*(?: +[A-Z][A-Za-z&'’-]+)*|\b[A-Z]{2,6}\b"
)
_REDACTED = re.compile(r"^[X/]+$")
# A social-media handle (@JetBlue, @united) is a name on its own, whatever its case; the
# capitalised word after it starts a new run ("@JetBlue Why ..." names JetBlue, not "JetBlue Why").
_HANDLE = re.compile(r"(?<![\w@])@\w{2,}")
_LEADING_HANDLES = re.compile(r"(?:@\w+[:,]?\s+)+")
# A sentence-opening word with these endings is an ordinary word ("Frustrated", "Really",
# "Loving"), not the start of a name; the words after it are read as if they opened it.
_ORDINARY_ENDING = re.compile(r"(?:ed|ing|ly|ful|ous|less|est)$")
# Capitalised words that are not names: pronouns, months, days, greetings, sentence glue.
_NOT_NAME_TEXT = """I I'm I've I'd I'll Im Ive Id Mr Mrs Ms Dr Dear Hi Hello Thanks Thank
    Regards Best
    Sincerely Please OK Ok The A An And But Or If So Then This That These Those It Its
    My We Our You Your He She They Their Yes No Not Also However Again Nothing After
    Before When While Because Although As At On In Of For To From By With Without
    Monday Tuesday Wednesday Thursday Friday Saturday Sunday January February March April
    May June July August September October November December Jan Feb Mar Apr Jun Jul Aug
    Sep Sept Oct Nov Dec PS RE FW FWD Re Fw Fwd Subject Why What How Who Whom Whose Where
    Which Is Are Was Were Do Does Did Can Could Will Would Should Shall May Might Must Just
    Really Very Still Now Today Tonight Tomorrow Yesterday Here There Why's What's How's
    Who's Where's Don't Can't Won't Didn't Isn't Wasn't Great Good Bad Worst Best Love Hate
    Wow Ugh Omg LOL RT Hey Yeah Yep Nope Sorry Never Always Any Some Every All Again"""
_NOT_NAMES = frozenset(_NOT_NAME_TEXT.split())

# English names of the languages the instructions mention, by ISO 639-1 code.
LANGUAGE_NAMES = {
    "ar": "Arabic",
    "cs": "Czech",
    "da": "Danish",
    "de": "German",
    "el": "Greek",
    "en": "English",
    "es": "Spanish",
    "fi": "Finnish",
    "fr": "French",
    "he": "Hebrew",
    "hi": "Hindi",
    "hu": "Hungarian",
    "id": "Indonesian",
    "it": "Italian",
    "ja": "Japanese",
    "ko": "Korean",
    "nl": "Dutch",
    "no": "Norwegian",
    "pl": "Polish",
    "pt": "Portuguese",
    "ro": "Romanian",
    "ru": "Russian",
    "sv": "Swedish",
    "th": "Thai",
    "tr": "Turkish",
    "uk": "Ukrainian",
    "vi": "Vietnamese",
    "zh": "Chinese",
}


def language_name(code: str) -> str:
    return LANGUAGE_NAMES.get(code.lower(), code)


@dataclass(frozen=True)
class Span:
    start: int
    end: int


def sentence_spans(text: str) -> list[Span]:
    """Each sentence of `text` as (start, end), without the whitespace around it."""
    spans: list[Span] = []
    start = 0
    for match in _SENTENCE_END.finditer(text):
        _add(text, start, match.end(), spans)
        start = match.end()
    _add(text, start, len(text), spans)
    return spans


def _add(text: str, start: int, end: int, spans: list[Span]) -> None:
    piece = text[start:end]
    if piece.strip():
        lead = len(piece) - len(piece.lstrip())
        trail = len(piece) - len(piece.rstrip())
        spans.append(Span(start + lead, end - trail))


def sentences(text: str) -> list[str]:
    return [text[s.start : s.end] for s in sentence_spans(text)]


def words(text: str) -> list[str]:
    return text.split()


def word_spans(text: str) -> list[Span]:
    return [Span(m.start(), m.end()) for m in re.finditer(r"\S+", text)]


@dataclass(frozen=True)
class Fact:
    kind: str  # "amount", "date", "number" or "name"
    text: str


def facts(text: str) -> list[Fact]:
    """The amounts, dates, numbers and names in `text`, each once, in order of appearance."""
    found: list[tuple[int, Fact]] = []
    taken: list[Span] = []
    for kind, pattern in (("amount", _AMOUNT), ("date", _DATE), ("number", _NUMBER)):
        for match in pattern.finditer(text):
            if any(s.start < match.end() and match.start() < s.end for s in taken):
                continue
            taken.append(Span(match.start(), match.end()))
            found.append((match.start(), Fact(kind, match.group().strip())))
    for match in _HANDLE.finditer(text):
        found.append((match.start(), Fact("name", match.group())))
    starts = _openings(text)
    # Handles are blanked (same offsets) so that no run of capitalised words runs through one.
    unhandled = _HANDLE.sub(lambda m: " " * len(m.group()), text)
    openers: list[tuple[int, str]] = []  # a lone capitalised word opening a sentence
    for match in _NAME.finditer(unhandled):
        for relative, run in _name_runs(match.group()):
            at = match.start() + relative
            opening = at in starts
            first, _, rest = run.partition(" ")
            if opening and rest and _ORDINARY_ENDING.search(first):
                at, run = at + len(first) + 1, rest  # "Frustrated Chairman" opens on Chairman
            if opening and " " not in run:
                openers.append((at, run))
            else:
                found.append((at, Fact("name", run)))
    # An opener is a name when the text also uses it as one ("Chase is …", "… at Chase").
    named = {f.text.split()[0] for _, f in found if f.kind == "name"}
    found += [(at, Fact("name", word)) for at, word in openers if word in named]
    unique: dict[Fact, None] = {}
    for _, fact in sorted(found, key=lambda item: item[0]):
        unique.setdefault(fact)
    return list(unique)


def _openings(text: str) -> set[int]:
    """Where sentences start, and where they start again after leading handles."""
    starts = {span.start for span in sentence_spans(text)}
    for start in list(starts):
        handles = _LEADING_HANDLES.match(text, start)
        if handles:
            starts.add(handles.end())
    return starts


def _name_runs(candidate: str) -> list[tuple[int, str]]:
    """The names in a run of capitalised words, split at words that are not names.

    "Pay To The Order Of" gives "Pay" and "Order"; "Chase Bank" stays whole. A single
    capitalised word shorter than four letters ("Reg" in "Reg E") is taken for an
    abbreviation, not a name; acronyms (FBI, VA) are names. Each comes with its offset.
    """
    runs: list[list[re.Match[str]]] = [[]]
    for word in re.finditer(r"\S+", candidate):
        if word.group() in _NOT_NAMES or _REDACTED.match(word.group()):
            runs.append([])
        else:
            runs[-1].append(word)
    names: list[tuple[int, str]] = []
    for run in runs:
        if run:
            name = candidate[run[0].start() : run[-1].end()]
            stripped = name.strip("'’-")
            if len(stripped) >= 4 or (len(stripped) > 1 and stripped.isupper()):
                names.append((run[0].start() + name.index(stripped), stripped))
    return names


def numbers(text: str) -> list[str]:
    """The amounts, dates and numbers in `text` (what a novel-number check compares)."""
    return [fact.text for fact in facts(text) if fact.kind != "name"]


def main_name(text: str) -> str | None:
    """The name `text` mentions most (ties: first mentioned), or None."""
    names = [f.text for f in facts(text) if f.kind == "name"]
    counts = Counter(re.findall(r"\b[A-Z][\w&'’-]*(?:\s+[A-Z][\w&'’-]*)*|\b[A-Z]{2,6}\b", text))
    counts.update(_HANDLE.findall(text))
    if not names:
        return None
    return max(names, key=lambda name: (counts.get(name, 0), -names.index(name)))


def key_sentence(text: str, *, mode: str = "specific") -> str | None:
    """The seed's key fact: its first sentence, or its most specific one (most facts)."""
    found = sentences(text)
    if not found:
        return None
    if mode == "first":
        return found[0]
    scores = [len(facts(sentence)) for sentence in found]
    return found[scores.index(max(scores))]


def first_sentences(text: str, max_chars: int) -> str:
    """Whole sentences from the start, at least one, up to about `max_chars`."""
    spans = sentence_spans(text)
    if not spans:
        return ""
    end = spans[0].end
    for span in spans[1:]:
        if span.end - spans[0].start > max_chars:
            break
        end = span.end
    return text[spans[0].start : end]


def clip(text: str, max_chars: int) -> str:
    """`text` cut at a word boundary to at most about `max_chars`, marked with an ellipsis."""
    text = text.strip()
    if len(text) <= max_chars:
        return text
    cut = text.rfind(" ", 0, max_chars)
    return text[: cut if cut > 0 else max_chars].rstrip(" ,;:") + " …"


def contains_word(text: str, fragment: str) -> bool:
    """`fragment` occurs in `text` on word boundaries (case-sensitive)."""
    return re.search(rf"(?<![\w]){re.escape(fragment)}(?![\w])", text) is not None
