"""One example of the eval set, and the dataset version it belongs to."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Example:
    """A row of the team's data, with a stable id.

    `fields` is the whole record (templates see every field by name); `input` is the text
    shown as the example's input in reports; `slices` maps each slice field to its value.
    `source` says where the row came from, e.g. "complaints.csv:14", for error messages.
    `prefix_messages` are OpenAI-style `{role, content}` messages sent before the prompt's
    own (an edge case's system prompt holding a secret, a conversation's earlier turns);
    the runner merges every system message into one, sent first.
    """

    id: str
    fields: Mapping[str, Any]
    input: str
    reference: str | None = None
    slices: Mapping[str, str] | None = None
    source: str | None = None
    prefix_messages: tuple[Mapping[str, str], ...] = ()


@dataclass(frozen=True)
class Dataset:
    """The examples of one run and the content hash that names this version of them."""

    path: Path
    examples: tuple[Example, ...]
    content_hash: str  # "s256:<hex>" over the canonical JSON of the examples, in order
    source_rows: int  # rows read before sampling
    # Rows dropped for repeating an earlier row in every field (no id field), by source.
    identical_rows: tuple[str, ...] = ()

    def __len__(self) -> int:
        return len(self.examples)
