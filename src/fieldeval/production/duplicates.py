"""Near-identical inputs found by MinHash over character 5-grams (datasketch's LSH).

Inputs are compared casefolded, with runs of whitespace as one space and digits as 0, so
"Order 1234 is late" and "order 5678  is late" are the same input; beyond that, two inputs
are near-identical when their 5-gram Jaccard similarity is `threshold` or more: MinHash
LSH finds the candidates, and the similarity is then computed exactly.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

SHINGLE = 5
PERMUTATIONS = 64
_SPACE = re.compile(r"\s+")
_DIGIT = re.compile(r"\d")


def normalized(text: str) -> str:
    return _DIGIT.sub("0", _SPACE.sub(" ", text.casefold()).strip())


def shingles(text: str) -> set[bytes]:
    text = normalized(text)
    if len(text) <= SHINGLE:
        return {text.encode()}
    return {text[i : i + SHINGLE].encode() for i in range(len(text) - SHINGLE + 1)}


def signature(shingled: set[bytes]) -> Any:
    """The MinHash of a text's shingles."""
    from datasketch import MinHash

    minhash = MinHash(num_perm=PERMUTATIONS, seed=1)
    minhash.update_batch(list(shingled))
    return minhash


def _jaccard(a: set[bytes], b: set[bytes]) -> float:
    return len(a & b) / len(a | b)


def group_duplicates(texts: Sequence[str], *, threshold: float = 0.8) -> list[int]:
    """For each text, the index of the first text it is a near-duplicate of (itself if none)."""
    from datasketch import MinHashLSH

    index = MinHashLSH(threshold=threshold, num_perm=PERMUTATIONS)
    exact: dict[str, int] = {}
    kept: dict[int, set[bytes]] = {}
    leaders: list[int] = []
    for i, text in enumerate(texts):
        key = normalized(text)
        if key in exact:
            leaders.append(exact[key])
            continue
        own = shingles(text)
        minhash = signature(own)
        similar = [
            int(name)
            for name in index.query(minhash)
            if _jaccard(own, kept[int(name)]) >= threshold
        ]
        leader = min(similar, default=i)
        leaders.append(leader)
        exact[key] = leader
        if leader == i:
            index.insert(str(i), minhash)
            kept[i] = own
    return leaders
