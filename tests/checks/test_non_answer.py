"""Telling by rule that a reply does not answer, and reading a stated confidence."""

from __future__ import annotations

import pytest

from fieldeval.abstention.confidence import stated_confidence
from fieldeval.checks.non_answer import does_not_answer


@pytest.mark.parametrize(
    ("reply", "way"),
    [
        ("I don't know.", "abstains"),
        ("I don\u2019t know which account this is.", "abstains"),  # a curly apostrophe
        ("The complaint does not mention the amount.", "abstains"),
        ("Not given.", "abstains"),
        ("unknown", "abstains"),
        ("Sure! I'm not sure what the fee was.", "abstains"),  # past a one-word opener
        ("From the text alone it is impossible to tell whether a fee was charged.", "abstains"),
        ("Unclear from the complaint.", "abstains"),
        ("The dollar figure has been redacted, so I can't tell.", "abstains"),
        ("Could you share the statement that shows the charge?", "asks"),
        ("I need more details about the transaction.", "asks"),
        ("I'm sorry, but I can't help with that request.", "declines"),
        ("That is outside my scope; I can only help with billing.", "declines"),
        ("No lo sé: la cantidad no aparece.", "abstains"),
        ("Je ne sais pas.", "abstains"),
        ("Ich weiß es nicht.", "abstains"),
    ],
)
def test_replies_that_do_not_answer_are_found_and_say_how(reply: str, way: str) -> None:
    hit = does_not_answer(reply)
    assert hit is not None and hit.way == way
    assert hit.phrase and hit.phrase in hit.reason


@pytest.mark.parametrize(
    "reply",
    [
        "$5000.00",
        "The first amount is $3,000.00.",
        # An answer that notes a gap later answers: only the opening is read.
        "The fee was $35 and the bank refused to refund it. The date is not given.",
        "The status is unknown to the customer, who waited three weeks.",  # not "unknown"
        # A summary states the complaint's own negatives: they are facts, not abstentions.
        "The customer didn't give permission to run a credit check.",
        "The customer cannot find their card and wants a new one.",
        "They received no information about the refund for weeks.",
        "The customer asks the bank to please provide a refund.",
        "The late fee was removed, then charged again.",
        "It is unclear why the bank charged the fee twice, the customer writes.",
        "billing_dispute",
        "",
    ],
)
def test_answers_are_not_taken_for_abstentions(reply: str) -> None:
    assert does_not_answer(reply) is None


def test_the_team_s_own_ways_of_not_answering_count_anywhere_in_the_reply() -> None:
    reply = "Thanks for writing in! Let me connect you with an agent who can check."
    assert does_not_answer(reply) is None
    hit = does_not_answer(reply, ["let me connect you with an agent"])
    assert hit is not None and hit.way == "abstains"


@pytest.mark.parametrize(
    ("reply", "field", "expected"),
    [
        ("Credit card (confidence: 85%)", None, 0.85),
        ("I'm 90% sure it is a billing dispute.", None, 0.90),
        ("billing (confidence 0.4)", None, 0.40),
        ('{"label": "billing", "confidence": 0.7}', "confidence", 0.70),
        ('```json\n{"label": "billing", "confidence": "65%"}\n```', "confidence", 0.65),
        ('{"label": "billing", "confidence": 72}', "confidence", 0.72),
        ('{"label": "billing"}', "confidence", None),
        ('{"label": "billing", "confidence": true}', "confidence", None),
        ("billing (confidence: 250)", None, None),  # outside 0–100: no confidence at all
        ("billing", None, None),
    ],
)
def test_a_stated_confidence_is_read_on_a_zero_to_one_scale(
    reply: str, field: str | None, expected: float | None
) -> None:
    found = stated_confidence(reply, field)
    assert found == (pytest.approx(expected) if expected is not None else None)
