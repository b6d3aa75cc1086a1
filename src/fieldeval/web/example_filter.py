"""`ExampleFilter`: the examples table's query parameters, checked against the suite and run."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from fieldeval.errors import UserError
from fieldeval.records.run import RunInfo
from fieldeval.store.example_query import CriterionRule, ExampleQuery
from fieldeval.suite.schema import Suite

PER_PAGE = 50
MAX_TEXT = 200


class ExampleFilter(BaseModel):
    """Which examples to list; every condition given must hold.

    The output conditions (candidate, outcome, check, criterion, mode) hold together on one
    output of the example; the text is searched in the input and in those outputs.
    """

    model_config = ConfigDict(frozen=True)

    candidate: str | None = None
    outcome: Literal["pass", "fail", "error"] | None = Field(
        None, description="pass: every check passed; fail: a check failed; error: no answer"
    )
    check: str | None = Field(None, description="a check the output failed")
    criterion: str | None = Field(None, description="a criterion the output's verdict fails")
    mode: str | None = Field(None, description="a failure mode the output has")
    slice: str | None = Field(None, description="NAME=VALUE: the example's slice value")
    edge: str | None = Field(None, description="the example's edge kind (its `edge` slice)")
    q: str | None = Field(None, max_length=MAX_TEXT, description="text in the input or output")
    page: int = Field(1, ge=1)

    @field_validator("*", mode="before")
    @classmethod
    def _blank_is_none(cls, value: Any) -> Any:
        # The filter form sends every field; an empty one means "any".
        return None if isinstance(value, str) and not value.strip() else value

    def checked(self, suite: Suite, run: RunInfo) -> ExampleFilter:
        """This filter, if everything it names exists in the suite and the run."""
        checks = {str(check.get("id")) for check in run.suite.get("checks", ())}
        known: list[tuple[str | None, set[str], str]] = [
            (self.candidate, set(run.candidates), f"run {run.id} has no candidate"),
            (self.check, checks, f"run {run.id} has no check"),
            (self.criterion, {c.id for c in suite.rubric}, "the suite has no criterion"),
            (self.mode, {m.id for m in suite.failure_modes}, "the suite has no failure mode"),
        ]
        for value, names, problem in known:
            if value is not None and value not in names:
                raise UserError(f"{problem} {value!r}")
        if self.slice is not None:
            name, equals, _ = self.slice.partition("=")
            if not equals:
                raise UserError("give a slice as NAME=VALUE, e.g. ?slice=topic=billing")
            if name not in suite.dataset.slices:
                raise UserError(f"the suite has no slice {name!r}")
        return self

    def query(self, suite: Suite, rules: Mapping[str, CriterionRule]) -> ExampleQuery:
        """The store's query for this filter's page; a mode becomes what labels it."""
        checks = [self.check] if self.check else []
        criteria = [rules[self.criterion]] if self.criterion else []
        labels = []
        mode = next((m for m in suite.failure_modes if m.id == self.mode), None)
        if mode is not None and mode.check is not None:
            checks.append(mode.check)
        elif mode is not None and mode.criterion is not None:
            criteria.append(rules[mode.criterion])
        elif mode is not None:
            labels.append(mode.id)
        name, _, value = (self.slice or "").partition("=")
        return ExampleQuery(
            candidate=self.candidate,
            outcome=self.outcome,
            failed_checks=tuple(dict.fromkeys(checks)),
            failing_criteria=tuple(dict.fromkeys(criteria)),
            labels=tuple(labels),
            slice=(name, value) if self.slice else None,
            edge=self.edge,
            text=self.q,
            offset=(self.page - 1) * PER_PAGE,
            limit=PER_PAGE,
        )

    def describe(self) -> str:
        """The filter in words, e.g. `cand-a · fail · check short · topic = billing`."""
        name, _, value = (self.slice or "").partition("=")
        parts = [
            self.candidate or "every candidate",
            *([self.outcome] if self.outcome else []),
            *([f"failed check {self.check}"] if self.check else []),
            *([f"failing {self.criterion}"] if self.criterion else []),
            *([f"mode {self.mode}"] if self.mode else []),
            *([f"{name} = {value}"] if self.slice else []),
            *([f"edge {self.edge}"] if self.edge else []),
            *([f"“{self.q}”"] if self.q else []),
        ]
        return " · ".join(parts)

    def params(self, page: int = 1) -> dict[str, str | int | None]:
        """The query parameters of this filter's page `page`."""
        return {**self.model_dump(exclude={"page"}), "page": page if page != 1 else None}
