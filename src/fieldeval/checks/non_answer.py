"""Telling by rule that a reply does not answer: it says it does not know, asks for what is
missing, or declines.

The rules read the reply's opening: its first sentences up to `OPENING_WORDS` words (at most
`OPENING_CHARS` characters), since a reply that answers and then notes a gap ("The fee was
$35. The date is not given.") answers. They know English, Spanish, French,
German and Portuguese phrasings and the suite's own `abstention.phrases`; anything subtler
is the judge's (`abstention.judge`). Each rule says which phrase fired, so a person can
check it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final, Literal

OPENING_WORDS: Final = 4
OPENING_CHARS: Final = 300

Way = Literal["abstains", "asks", "declines"]

_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'"})

# Each alternative matches case-folded, NFKC-normalised text with straight apostrophes.
_ABSTAINS: Final = (
    r"\bi (?:do not|don't|really don't) know\b",
    r"\bi'?m not (?:sure|certain)\b|\bi am not (?:sure|certain)\b|\bno idea\b",
    r"\bunknown\b\W*$|^\W*unknown\b",
    r"\b(?:i|we) (?:cannot|can't|can not|could not|couldn't|am unable to|'m unable to"
    r"|am not able to|'m not able to) (?:determine|tell|say|answer|find|know|confirm"
    r"|verify|identify)\b",
    r"\bimpossible to (?:say|tell|know|determine)\b|\bthere is no way to (?:know|tell)\b",
    r"\b(?:is not|isn't|was not|wasn't|are not|aren't|were not|weren't) (?:mentioned"
    r"|stated|specified|given|indicated)\b",
    r"^\W*not (?:mentioned|stated|specified|provided|given|available|known|clear)\b",
    # "it", "this" or "the text" says nothing of it; a person who "didn't give" is a fact
    r"\b(?:it|this|the (?:text|complaint|input|message|email|document|narrative|passage"
    r"|context|question|article|review|ticket|conversation)) (?:does not|doesn't|did not"
    r"|didn't) (?:say|mention|specify|state|include|provide|indicate|contain|give)\b",
    r"\b(?:there is|there's|there are|i have|i've got|we have|i do not have|i don't have"
    r"|we don't have)(?: not)? (?:enough |sufficient |any |no |insufficient )?(?:information"
    r"|details|context|data)\b",
    r"\b(?:not enough|insufficient) (?:information|details|context|data) (?:to|for)\b",
    r"\bno (?:amount|figure|number|value|date|name|answer) (?:is |was |has been )?(?:given"
    r"|stated|mentioned|named|provided|specified|appears)\b",
    r"\b(?:amount|figure|number|value|name|date|sum|details?)s? (?:is|was|are|were|has been"
    r"|have been) (?:redacted|removed|withheld|blacked out|hidden)\b",
    r"\bunclear (?:from|in) (?:the|this|it)\b",
    r"\bno (?:lo )?s[eé]\b|\bno tengo (?:suficiente )?informaci[oó]n\b|\bno se menciona\b",
    r"\bn[aã]o sei\b|\bn[aã]o (?:[eé] )?mencionad[oa]\b",
    r"\bje ne sais pas\b|\bpas (?:assez|suffisamment) d'informations?\b",
    r"\bn'est pas (?:mentionn|indiqu|pr[eé]cis)",
    r"\bich wei(?:ß|ss) (?:es )?nicht\b|\bnicht (?:genug|genügend) informationen\b",
    r"\bnicht (?:angegeben|erwähnt|bekannt)\b",
)
_ASKS: Final = (
    r"\b(?:could|can|would) you (?:please )?(?:provide|clarify|share|tell me|specify|give"
    r"|send|confirm|let me know)\b",
    r"(?:^|[.!?]\s+)please (?:provide|clarify|share|specify|send|confirm)\b",
    r"\bi (?:need|would need|'d need) (?:more|additional|the) (?:information|details"
    r"|context)\b",
    r"\bwhat do you mean\b|\bcan you be more specific\b",
    r"\bpodr[ií]a[s]? (?:proporcionar|aclarar|indicar)\b",
    r"\bpourriez-vous (?:pr[eé]ciser|fournir)\b",
    r"\bk[oö]nnten sie (?:bitte )?(?:angeben|pr[aä]zisieren|mitteilen)\b",
)
_DECLINES: Final = (
    r"\bi (?:can't|cannot|can not|won't|will not|am not able to|'m not able to|am unable to"
    r"|'m unable to) (?:help|assist|do that|provide|answer|comply|respond)\b",
    r"\bi'?m sorry,? but i (?:can't|cannot|won't)\b|\bi must decline\b",
    r"\b(?:outside|beyond) (?:my|the) scope\b|\bi can only (?:help|assist|answer)\b",
    r"\bno puedo ayudar\b|\bje ne peux pas (?:vous )?aider\b",
    r"\bich kann (?:ihnen )?nicht helfen\b",
)
_RULES: Final[tuple[tuple[Way, tuple[str, ...]], ...]] = (
    ("abstains", _ABSTAINS),
    ("asks", _ASKS),
    ("declines", _DECLINES),
)
_COMPILED: Final = tuple((way, re.compile("|".join(parts))) for way, parts in _RULES)


@dataclass(frozen=True)
class RuleHit:
    """A reply that does not answer: how (`way`) and the words that said so (`phrase`)."""

    way: Way
    phrase: str

    @property
    def reason(self) -> str:
        return f"{self.way}: it says {self.phrase!r}"


def normalised(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold().translate(_APOSTROPHES)


_SENTENCE_END = re.compile(r"(?<=[.!?\u3002])\s+|\n+")


def opening(text: str) -> str:
    """The part of a reply the rules read: its first sentences, up to `OPENING_WORDS` words."""
    taken: list[str] = []
    for sentence in _SENTENCE_END.split(text):
        taken.append(sentence)
        if sum(len(part.split()) for part in taken) >= OPENING_WORDS:
            break
    return " ".join(taken)[:OPENING_CHARS]


def does_not_answer(text: str, phrases: Sequence[str] = ()) -> RuleHit | None:
    """How the reply declines to answer, when a rule or one of the team's `phrases` says so."""
    head = normalised(opening(text.strip()))
    if not head:
        return None
    whole = normalised(text)
    for phrase in phrases:
        if phrase.strip() and normalised(phrase.strip()) in whole:
            return RuleHit("abstains", phrase.strip())
    for way, pattern in _COMPILED:
        found = pattern.search(head)
        if found is not None:
            return RuleHit(way, found.group(0).strip())
    return None
