"""The suite's `abstention:`: which examples' right answer is "I don't know", and how an
output that does not answer is counted.

    abstention:
      answerable: has_answer          # a column: false / no / 0 marks "no answer in the input"
      unanswerable_references: [unknown, "I don't know"]   # or: these references mean that
      phrases: ["Let me connect you with an agent"]          # the app's own ways of not answering
      confidence_field: confidence    # the output is JSON and this field is its confidence
      judge: true                     # the suite's judge reads what the rules call an answer
      over_abstention_severity: minor # abstained where the example has an answer
      answered_unanswerable_severity: critical   # answered where the right answer is "I don't know"
      broke_format_severity: major

Every output is read as answered, abstained or broke the format whether or not the suite
says `abstention:` (`fieldeval.abstention`); the block adds the unanswerable examples, the
team's own phrases, the judge, and the failure modes the outcomes are counted under.
"""

from __future__ import annotations

from typing import Final

from pydantic import Field

from fieldeval.suite.failure_modes import FailureMode, SeverityName
from fieldeval.suite.prompt import Strict

OVER_ABSTAINED: Final = "over_abstained"
ANSWERED_UNANSWERABLE: Final = "answered_unanswerable"
BROKE_FORMAT: Final = "broke_format"
ABSTENTION_MODE_IDS: Final = (OVER_ABSTAINED, ANSWERED_UNANSWERABLE, BROKE_FORMAT)


class Abstention(Strict):
    answerable: str | None = Field(
        None,
        description="the column that says whether the input holds an answer (false/no/0: no)",
    )
    unanswerable_references: tuple[str, ...] = Field(
        (), description="references that mean the right answer is 'I don't know'"
    )
    phrases: tuple[str, ...] = Field(
        (), description="the app's own ways of not answering, matched case aside"
    )
    confidence_field: str | None = Field(
        None, description="the output is a JSON object and this field holds its confidence"
    )
    judge: bool = Field(
        False, description="the suite's judge reads each output the rules call an answer"
    )
    over_abstention_severity: SeverityName = "minor"
    answered_unanswerable_severity: SeverityName = "critical"
    broke_format_severity: SeverityName = "major"

    def modes(self) -> tuple[FailureMode, ...]:
        """The failure modes the outcomes are counted under, with this block's severities."""
        return (
            FailureMode(
                id=OVER_ABSTAINED,
                definition="Said it does not know, asked or declined where the example has an "
                "answer (fieldeval's abstention outcome).",
                severity=self.over_abstention_severity,
            ),
            FailureMode(
                id=ANSWERED_UNANSWERABLE,
                definition="Answered where the input holds no answer: the right reply was "
                "'I don't know' (fieldeval's abstention outcome).",
                severity=self.answered_unanswerable_severity,
            ),
            FailureMode(
                id=BROKE_FORMAT,
                definition="Neither answered in the task's format nor said it could not "
                "(fieldeval's abstention outcome).",
                severity=self.broke_format_severity,
            ),
        )
