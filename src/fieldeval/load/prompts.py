"""The requests a load test sends: the suite's own prompts, or synthetic ones of a set size."""

from __future__ import annotations

import random
from pathlib import Path

from fieldeval.data.dataset import load_dataset
from fieldeval.records.request import Message, ModelRequest
from fieldeval.runner.plan import request_for
from fieldeval.suite.candidates import CandidateBase
from fieldeval.suite.load import Load
from fieldeval.suite.schema import Suite

CHARS_PER_TOKEN = 4  # English text in the common BPE vocabularies, roughly
SYNTHETIC_PROMPTS = 128  # distinct prompts, so a server's prompt cache cannot answer them all

# Plain English prose: real words tokenize like real prompts do, unlike random characters.
_PROSE = (
    "The harbour town woke slowly on winter mornings. Fishing boats came in before dawn, "
    "and by the time the bakery opened its shutters the market square was already full of "
    "crates, nets and people arguing about the price of cod. The old clock on the town hall "
    "had run five minutes late for as long as anyone could remember, and nobody wanted it "
    "fixed, because the ferry timetable had quietly been written around it. Children walked "
    "to school along the sea wall, counting the gulls and daring each other to step closer "
    "to the edge where the waves broke. In the afternoons the light turned grey and gold, "
    "the wind dropped, and the shopkeepers stood in their doorways to talk about the weather, "
    "the council, and whether the new road would ever be finished. Every spring a few "
    "visitors arrived with cameras and maps, asked for directions to the lighthouse, and "
    "left a week later promising to come back. Some of them did."
)
PASSAGE = _PROSE.split()


def dataset_requests(
    suite: Suite, candidate: CandidateBase, *, base_dir: Path, seed: int
) -> list[ModelRequest]:
    """The candidate's request for every example of the suite's dataset, in a seeded order."""
    dataset = load_dataset(suite.dataset, base_dir=base_dir)
    requests = [request_for(suite, candidate, example) for example in dataset.examples]
    random.Random(seed).shuffle(requests)
    return requests


def synthetic_text(tokens: int, *, start: int = 0) -> str:
    """About `tokens` tokens of English: the passage from word `start`, repeated and cut."""
    limit = max(1, tokens * CHARS_PER_TOKEN)
    words: list[str] = []
    size = -1  # the first word has no space before it
    position = start
    while True:
        word = PASSAGE[position % len(PASSAGE)]
        if words and size + 1 + len(word) > limit:
            return " ".join(words)
        words.append(word)
        size += 1 + len(word)
        position += 1


def synthetic_requests(
    candidate: CandidateBase, spec: Load, *, count: int = SYNTHETIC_PROMPTS
) -> list[ModelRequest]:
    """`count` distinct prompts of about `spec.input_tokens`, asking for `spec.output_tokens`.

    Each is one user message with no template. The candidate's stop sequences are dropped so
    that answers run to `output_tokens` unless the model itself ends them.
    """
    params = {k: v for k, v in candidate.params.items() if k != "stop"}
    params["max_tokens"] = spec.output_tokens
    # Each prompt starts at a different word of the passage, so no two share a prefix.
    starts = random.Random(spec.seed).sample(range(len(PASSAGE)), min(count, len(PASSAGE)))
    requests = []
    for i, start in enumerate(starts):
        text = synthetic_text(spec.input_tokens, start=start)
        requests.append(
            ModelRequest(
                messages=(Message("user", text),),
                params=dict(params),
                variables={"id": f"synthetic-{i}", "input": text},
            )
        )
    return requests
