"""What every part of a suite shares: strict models, ids, and the prompt in its three forms."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

ID = r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$"


class Strict(BaseModel):
    """Unknown keys are errors: a typo must never be silently ignored."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class ChatMessage(Strict):
    role: Literal["system", "user", "assistant"]
    content: str = Field(description="A Jinja2 template over the example's fields.")


class Prompt(Strict):
    """One user template, a list of chat messages (each a template), or a conversation.

    `conversation` names a field that holds an OpenAI-style messages list (chat-log data);
    those messages are sent as they are, never rendered as templates.
    """

    template: str | None = None
    messages: tuple[ChatMessage, ...] | None = None
    conversation: str | None = None
    system: str | None = None

    @model_validator(mode="after")
    def _one_form(self) -> Prompt:
        forms = [f for f in (self.template, self.messages, self.conversation) if f is not None]
        if len(forms) != 1:
            raise ValueError(
                "give the prompt as a template string, as `messages`, or as `conversation`"
                " (the field holding a chat log): exactly one of them"
            )
        return self


def prompt_from_yaml(value: Any) -> Any:
    # `prompt: "text {{ x }}"` and `prompt: [{role:.., content:..}]` are the common forms.
    if isinstance(value, str):
        return {"template": value}
    if isinstance(value, list):
        return {"messages": value}
    return value


PromptField = Annotated[Prompt, Field(description="template string or chat messages")]
