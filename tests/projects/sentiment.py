"""A 3-class sentiment suite on disk (negative / neutral / positive, sliced by airline), with
two Python-function candidates whose answers are columns of the dataset: the confusions each
makes are written down here, so a test knows every cell of their confusion matrices.

`steady` reads almost every tweet right. `hasty` reads neutral tweets as negative, answers
one tweet with a sentence that names two labels (unparseable), and says "Positive!" where
`steady` says "positive" (read as the same label).
"""

from __future__ import annotations

import csv
import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

BOT = """\
def steady(request):
    return request.variables["steady_says"]


def hasty(request):
    return request.variables["hasty_says"]
"""

AIRLINES = ("Delta", "United", "JetBlue")


@dataclass(frozen=True)
class Row:
    id: str
    text: str
    label: str
    airline: str
    steady_says: str
    hasty_says: str


def rows() -> list[Row]:
    """36 tweets: 12 of each label, four per airline each."""
    made = []
    for i in range(36):
        label = ("negative", "neutral", "positive")[i % 3]
        airline = AIRLINES[(i // 3) % 3]
        steady = label
        if i == 4:  # one neutral tweet steady reads as positive
            steady = "positive"
        hasty = {"negative": "negative", "neutral": "negative", "positive": "Positive!"}[label]
        if i in (1, 10):  # two neutral tweets hasty gets right
            hasty = "neutral"
        if i == 5:  # a positive tweet answered with two labels: unparseable
            hasty = "Not negative, more positive than neutral."
        made.append(
            Row(f"t{i:02d}", f"<b>tweet {i}</b> about {airline}", label, airline, steady, hasty)
        )
    return made


def confusion(candidate: str) -> Counter[tuple[str, str]]:
    """(reference, read as) -> examples, as `read_label` must read each answer."""
    found: Counter[tuple[str, str]] = Counter()
    for row in rows():
        said = row.steady_says if candidate == "steady" else row.hasty_says
        read = {"Positive!": "positive"}.get(said, said)
        if said.startswith("Not negative"):
            read = "(unparseable)"
        found[(row.label, read)] += 1
    return found


def write(folder: Path, *, labels: object = None) -> Path:
    """The suite, its data and its bot in `folder`; `labels` becomes the suite's `labels:`."""
    with (folder / "tweets.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "text", "label", "airline", "steady_says", "hasty_says"])
        for row in rows():
            writer.writerow(
                [row.id, row.text, row.label, row.airline, row.steady_says, row.hasty_says]
            )
    (folder / "sentiment_bot.py").write_text(BOT, encoding="utf-8")
    suite: dict[str, object] = {
        "task": {
            "name": "sentiment",
            "description": "Label the tweet's sentiment: negative, neutral or positive.",
            "prompt": "{{ text }}",
        },
        "dataset": {
            "path": "tweets.csv",
            "id": "id",
            "input": "text",
            "reference": "label",
            "slices": ["airline"],
        },
        "candidates": [
            {"id": "steady", "provider": "python", "function": "sentiment_bot:steady"},
            {"id": "hasty", "provider": "python", "function": "sentiment_bot:hasty"},
        ],
        "checks": [{"equals": "{{ label }}", "id": "label"}],
    }
    if labels is not None:
        suite["labels"] = labels
    path = folder / "suite.yaml"
    path.write_text(json.dumps(suite, indent=2), encoding="utf-8")
    return path
