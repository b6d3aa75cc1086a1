"""How alike two inputs read, without embeddings: hashed character 3-grams, cosine similarity.

Each text becomes the counts of its character trigrams (casefolded, runs of whitespace as
one space, padded with a space each side), hashed into 2^16 buckets and scaled to unit
length; two texts' similarity is the dot product of theirs, 0 (no trigram shared) to 1.
Trigrams carry spelling and language, so inputs in another language or on a topic never
seen share few of them with the rest.
"""

from __future__ import annotations

import re
import zlib
from collections import Counter
from collections.abc import Sequence
from typing import Any

BUCKETS = 1 << 16
_SPACE = re.compile(r"\s+")


def trigram_vectors(texts: Sequence[str]) -> Any:
    """A sparse matrix, a unit-length row per text."""
    import numpy as np
    from scipy.sparse import csr_matrix

    rows: list[int] = []
    columns: list[int] = []
    values: list[float] = []
    for row, text in enumerate(texts):
        padded = f" {_SPACE.sub(' ', text.casefold()).strip()} "
        counts = Counter(
            zlib.crc32(padded[i : i + 3].encode()) % BUCKETS for i in range(len(padded) - 2)
        )
        norm = sum(c * c for c in counts.values()) ** 0.5 or 1.0
        rows += [row] * len(counts)
        columns += list(counts)
        values += [c / norm for c in counts.values()]
    return csr_matrix(
        (np.array(values), (np.array(rows, dtype=np.int64), np.array(columns, dtype=np.int64))),
        shape=(len(texts), BUCKETS),
    )


def nearest_similarity(texts: Any, reference: Any) -> Any:
    """For each row of `texts`, its highest similarity to any row of `reference` (numpy)."""
    import numpy as np

    if reference.shape[0] == 0:
        return np.zeros(texts.shape[0])
    return np.asarray((texts @ reference.T).max(axis=1).todense()).ravel()


def similar_groups(vectors: Any, threshold: float, *, min_size: int) -> list[list[int]]:
    """Groups of rows linked by similarity ≥ threshold (connected components), largest first."""
    from scipy.sparse.csgraph import connected_components

    similar = vectors @ vectors.T
    linked = similar >= threshold
    _, labels = connected_components(linked, directed=False)
    groups: dict[int, list[int]] = {}
    for row, label in enumerate(labels):
        groups.setdefault(int(label), []).append(row)
    found = [rows for rows in groups.values() if len(rows) >= min_size]
    return sorted(found, key=lambda rows: (-len(rows), rows[0]))
