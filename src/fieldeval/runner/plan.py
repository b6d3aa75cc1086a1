"""The plan: every (candidate, example, repeat) with its rendered request and cache key."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from fieldeval.canonical import content_hash
from fieldeval.errors import DataError
from fieldeval.providers.base import Provider
from fieldeval.records.example import Dataset, Example
from fieldeval.records.request import Message, ModelRequest, Role
from fieldeval.records.run import OutputKey
from fieldeval.suite.candidates import CandidateBase
from fieldeval.suite.schema import Suite
from fieldeval.suite.template import render_messages


@dataclass(frozen=True)
class WorkItem:
    key: OutputKey
    example: Example
    request: ModelRequest
    request_hash: str

    @property
    def estimated_tokens(self) -> int:
        """A rough size for tokens-per-minute limits: prompt chars / 4 plus max_tokens."""
        chars = sum(len(m.content) for m in self.request.messages)
        return chars // 4 + int(self.request.params.get("max_tokens", 256))


def request_for(suite: Suite, candidate: CandidateBase, example: Example) -> ModelRequest:
    rendered = render_messages(suite.prompt_for(candidate), example.fields)
    messages = with_prefix(example, rendered)
    return ModelRequest(
        messages=messages,
        params=dict(candidate.params),
        variables={**example.fields, "id": example.id},
    )


_ROLES: tuple[Role, ...] = ("system", "user", "assistant", "tool")


def with_prefix(example: Example, rendered: Sequence[Message]) -> tuple[Message, ...]:
    """The example's prefix messages, then the prompt's; every system message merged into one.

    Several chat APIs take one system message, and only first: the prefix's system text
    (an edge case's persona or secret) comes first in it, then the prompt's own.
    """
    if not example.prefix_messages:
        return tuple(rendered)
    sent: list[Message] = []
    for message in example.prefix_messages:
        role, content = message.get("role"), message.get("content")
        if role not in _ROLES or not isinstance(content, str):
            raise DataError(
                f"example {example.id!r}: a prefix message is not {{role, content}}: "
                f"{dict(message)!r:.80}"
            )
        sent.append(Message(role, content))
    sent.extend(rendered)
    system = "\n\n".join(m.content for m in sent if m.role == "system")
    rest = tuple(m for m in sent if m.role != "system")
    return ((Message("system", system),) if system else ()) + rest


def request_hash(identity: Mapping[str, object], request: ModelRequest, repeat: int) -> str:
    """The cache key: who answers, what they are asked, and which repeat this is.

    Concurrency, timeouts and retry settings are left out: they do not change the answer.
    """
    key: dict[str, object] = {
        "provider": dict(identity),
        "messages": [m.to_dict() for m in request.messages],
        "params": dict(request.params),
        "repeat": repeat,
    }
    # A recorded candidate's answer depends on the example, not on what it is asked: two
    # examples rendering the same prompt must not share a cached output.
    if identity.get("per_example"):
        key["example"] = request.variables.get("id")
    return content_hash(key)


def plan_work(
    suite: Suite, dataset: Dataset, providers: Mapping[str, Provider], *, repeats: int = 1
) -> dict[str, list[WorkItem]]:
    """Every call the run would make, per candidate, in dataset order."""
    plan: dict[str, list[WorkItem]] = {}
    for candidate in suite.candidates:
        identity = providers[candidate.id].cache_identity()
        items = []
        for example in dataset.examples:
            request = request_for(suite, candidate, example)
            for repeat in range(repeats):
                items.append(
                    WorkItem(
                        key=OutputKey(candidate.id, example.id, repeat),
                        example=example,
                        request=request,
                        request_hash=request_hash(identity, request, repeat),
                    )
                )
        plan[candidate.id] = items
    return plan
