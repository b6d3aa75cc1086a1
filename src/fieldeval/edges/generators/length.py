"""Length: next to nothing, a text cut off mid-sentence, a text buried in real padding."""

from __future__ import annotations

import re
from collections.abc import Iterator

from fieldeval.edges.generators.base import (
    Draft,
    EdgeGenerator,
    Option,
    Run,
    choices,
    cycle,
    integer,
    number,
    one_of,
)
from fieldeval.edges.generators.text import (
    contains_word,
    facts,
    key_sentence,
    sentence_spans,
    word_spans,
)

SHORT_FORMS = ("keyword", "punctuation", "emoji", "empty")
_PUNCTUATION = ("??", "?", "...", "???!", "hello?")
_EMOJI = ("😡", "🙁", "❓", "😤", "🤔", "💳", "🙏")
_STOPWORD_TEXT = """about above after again against because been before being below between both
    could did does doing down during each from further have having here into itself just
    more most myself once only other over same should some such than that their theirs
    them themselves then there these they this those through under until very was were
    what when where which while whom why will with would your yours also asked still
    since told said account"""
_STOPWORDS = frozenset(_STOPWORD_TEXT.split())


def _keywords(text: str) -> list[str]:
    """Distinct content words, most specific first: names, then longer words."""
    names = [f.text for f in facts(text) if f.kind == "name"]
    plain = re.findall(r"[A-Za-z][A-Za-z'-]{3,}", text)
    ranked = sorted(
        {w.lower(): w for w in plain if w.lower() not in _STOPWORDS and "XX" not in w}.values(),
        key=lambda w: (-len(w), w),
    )
    return list(dict.fromkeys([*names, *ranked]))


def _very_short(run: Run) -> Iterator[Draft]:
    """The input reduced to one keyword of the seed, "??", an emoji, or nothing at all.

    Variant i takes the next of `forms` (order drawn from the rng); the keyword is one of
    the seed's names or longest content words. A good reply asks what the user needs and
    answers no question it imagined. Works on empty seeds (no keyword form then).
    Oracle: `form`.
    """
    rng = run.rng
    keywords = _keywords(run.seed.input)[:8]
    forms = cycle(run.options["forms"], rng)
    for _ in range(run.count * 4):
        form = next(forms)
        if form == "keyword":
            if not keywords:
                continue
            text = rng.choice(keywords)
        elif form == "punctuation":
            text = rng.choice(_PUNCTUATION)
        elif form == "emoji":
            text = rng.choice(_EMOJI)
        else:
            text = ""
        yield Draft(text, {"form": form}, f"reduced to {form}")


def _truncated(run: Run) -> Iterator[Draft]:
    """The input cut off mid-sentence, after 30 to 70% of it (`cut_min`, `cut_max`).

    The cut falls between two words inside a sentence, never at its end, and nothing
    marks it. A good reply notices and asks, or answers the part present with a caveat;
    it never completes the missing part. Seeds of fewer than three words give [].
    Oracle: `cut_at` (share of characters kept), `removed_text`, `removed_facts` (names
    and numbers in the lost tail and not in the kept part: they must not appear in the
    reply).
    """
    text = run.seed.input.rstrip()
    low, high = run.options["cut_min"], run.options["cut_max"]
    if high < low:
        low, high = high, low
    sentence_ends = {s.end for s in sentence_spans(text)}
    # A cut after word w is "mid-sentence" when w does not end a sentence.
    cuts = [s.end for s in word_spans(text)[:-1] if s.end not in sentence_ends]
    if len(word_spans(text)) < 3 or not cuts:
        return
    while True:
        target = run.rng.uniform(low, high) * len(text)
        cut = min(cuts, key=lambda c: (abs(c - target), c))
        kept, tail = text[:cut], text[cut:]
        removed = [f.text for f in facts(tail) if not contains_word(kept, f.text)]
        oracle = {
            "cut_at": round(cut / len(text), 3),
            "removed_text": tail.strip(),
            "removed_facts": removed,
        }
        yield Draft(kept, oracle, f"cut after {cut / len(text):.0%} of the text")


POSITIONS = ("start", "middle", "end")


def _long_padding(run: Run) -> Iterator[Draft]:
    """The input in real padding (other examples), its key fact at the start, middle or end.

    The padding is the other examples' inputs, each introduced as an attached earlier
    ticket, up to about `words` words (fewer when the dataset has less). The seed's text
    stays whole and is placed so that its key fact (`key_fact: specific`, the sentence
    with most names and numbers, or `first`, its first sentence) sits in the first,
    middle or last third of the input (the padding comes in whole tickets, so with little
    padding the middle is approximate: `key_fact_at` says where it really is); variant i
    takes the next of `positions`. Needs
    other examples: without them, []. Oracle: `position`, `key_fact`, `key_fact_at` (its
    offset as a share of the input), `padding_ids`, `words`, `seed_span` (where the seed's
    text sits: the judge is shown it whole and the padding only counted, so that a padded
    input does not overflow the judge's context).
    """
    seed, rng = run.seed, run.rng
    key = key_sentence(seed.input, mode=run.options["key_fact"])
    others = [o for o in run.context.others if o.input.strip() and o.id != seed.id]
    if key is None or not others:
        return
    body = seed.input.strip()
    key_offset = body.index(key)
    positions = cycle(run.options["positions"], rng)
    while True:
        position = next(positions)
        pool = list(others)
        rng.shuffle(pool)
        blocks: list[tuple[str, str]] = []
        count = 0
        for other in pool:
            if count >= run.options["words"] and (position != "middle" or len(blocks) >= 2):
                break  # a middle needs padding on both sides
            blocks.append((other.id, f"[Attached: earlier ticket]\n{other.input.strip()}"))
            count += len(other.input.split())
        text, start = _place(body, key_offset, blocks, position)
        at = (start + key_offset) / len(text)
        oracle = {
            "position": position,
            "key_fact": key,
            "key_fact_at": round(at, 3),
            "padding_ids": [block_id for block_id, _ in blocks],
            "words": len(text.split()),
            "seed_span": [start, start + len(body)],
        }
        yield Draft(text, oracle, f"{len(blocks)} real tickets of padding, key fact at {position}")


def _place(
    seed: str, key_offset: int, blocks: list[tuple[str, str]], position: str
) -> tuple[str, int]:
    """The padded text and where the seed starts in it."""
    texts = [text for _, text in blocks]
    if position == "start":
        before = 0
    elif position == "end":
        before = len(texts)
    else:  # as many blocks before the seed as bring its key fact nearest the centre
        total = len("\n\n".join([seed, *texts]))
        lengths = [0]
        for text in texts:
            lengths.append(lengths[-1] + len(text) + 2)
        before = min(
            range(len(texts) + 1), key=lambda i: (abs(lengths[i] + key_offset - total / 2), i)
        )
    head = "\n\n".join(texts[:before])
    start = len(head) + 2 if head else 0
    return "\n\n".join([*texts[:before], seed, *texts[before:]]), start


VERY_SHORT = EdgeGenerator(
    "very_short",
    "ask_for_detail",
    _very_short,
    options=[
        Option(
            "forms",
            SHORT_FORMS,
            f"a list of: {', '.join(SHORT_FORMS)} (default all)",
            choices(SHORT_FORMS),
        )
    ],
)
TRUNCATED = EdgeGenerator(
    "truncated",
    "ask_for_detail",
    _truncated,
    options=[
        Option(
            "cut_min", 0.3, "the least share of the text kept, 0.05 to 0.95", number(0.05, 0.95)
        ),
        Option(
            "cut_max", 0.7, "the largest share of the text kept, 0.05 to 0.95", number(0.05, 0.95)
        ),
    ],
)
LONG_PADDING = EdgeGenerator(
    "long_padding",
    "same_answer",
    _long_padding,
    options=[
        Option(
            "positions",
            POSITIONS,
            "where the key fact goes: a list of start, middle, end (default all)",
            choices(POSITIONS),
        ),
        Option("words", 2000, "padding words, 50 to 100000 (default 2000)", integer(50, 100_000)),
        Option(
            "key_fact",
            "specific",
            "specific (the sentence with most names and numbers) or first",
            one_of(("specific", "first")),
        ),
    ],
)
