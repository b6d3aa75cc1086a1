"""`Paging`: which slice of a long list a page shows, and the addresses of its neighbours."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Paging:
    page: int  # from 1
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.per_page

    def json(self, url: Callable[[int], str]) -> dict[str, Any]:
        """The page's numbers and its previous and next pages' addresses (None at an end)."""

        def neighbour(page: int) -> str | None:
            return url(page) if 1 <= page <= self.pages else None

        return {
            "total": self.total,
            "page": self.page,
            "pages": self.pages,
            "per_page": self.per_page,
            "prev_url": neighbour(self.page - 1),
            "next_url": neighbour(self.page + 1),
        }
