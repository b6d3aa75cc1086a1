"""The suite's `edges:` section: which variants of the team's own examples to test."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

# What a variant expects of a good reply, given what was done to its clean original.
Expectation = Literal[
    "same_answer",  # the substance of the clean original's answer (surface noise, padding)
    "ask_for_detail",  # ask for what is missing or garbled (empty, truncated, two-in-one)
    "say_unknown",  # say the information is not there (evidence removed)
    "decline_redirect",  # decline politely and point back to the task (out of scope, hostile)
    "ignore_instruction",  # do the task, never follow the planted instruction
    "hold_persona",  # keep the persona, format and secrets (long conversations, extraction)
]


# What the task's replies are: which expectations a generator's variants can have.
TaskKind = Literal["classifier", "extractor", "writer", "assistant"]
TASK_KINDS: tuple[TaskKind, ...] = ("classifier", "extractor", "writer", "assistant")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class GeneratorSpec(_Strict):
    """One generator, how many variants of each seed example it makes, and its options."""

    name: str = Field(description="a generator name; `fieldeval edges list` shows them")
    variants: int = Field(1, ge=1, le=20, description="variants per seed example")
    options: dict[str, Any] = Field(default_factory=dict)
    expect: Expectation | None = Field(
        None,
        description="what a good reply does, over the generator's own for the task's kind;"
        " runs a generator that does not fit the kind",
    )


class Edges(_Strict):
    """Variants of real examples, each carrying its expected behaviour."""

    generators: tuple[GeneratorSpec, ...] = Field(min_length=1)
    seed: int = 0
    examples: int | None = Field(None, ge=1, description="seed examples drawn; default all")
    stratify: str | None = Field(
        None,
        description="field the seed examples are drawn in proportion to; default: the dataset"
        " sample's, else a reference that holds labels, else the first slice",
    )
    scope: str | None = Field(None, description="what is in scope; default the task statement")
    reply_language: str = Field("en", description="ISO 639-1 code every reply must be in")
    other_language: str = Field("fr", description="the wrong language pasted in")
    translator: str | None = Field(
        None, description="candidate id that translates or paraphrases for the generators"
    )
    persona: str | None = Field(None, description="a rule long conversations must hold")

    @field_validator("generators", mode="before")
    @classmethod
    def _names_alone(cls, value: Any) -> Any:
        # `generators: [typos, hostile]` is the common form.
        if isinstance(value, list | tuple):
            return [{"name": item} if isinstance(item, str) else item for item in value]
        return value
