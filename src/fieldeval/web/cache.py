"""`AnalysisCache`: a run's heavy analyses, computed once per version of what they read.

An entry is one analysis of one run (its family, e.g. `("failures", run_id)`), kept at the
version of its inputs it was computed from (the run's status, output count, grades and
labels). A new version replaces the old one, so a grader at work never leaves a trail of
stale copies. Requests arrive on several threads: two asking for one version wait for a
single computation.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import TypeVar, cast

T = TypeVar("T")
DEFAULT_SIZE = 32  # analyses kept; the one used longest ago goes first


class AnalysisCache:
    def __init__(self, size: int = DEFAULT_SIZE) -> None:
        self.size = size
        self._entries: OrderedDict[Hashable, tuple[Hashable, object]] = OrderedDict()
        self._lock = threading.Lock()
        self._computing: dict[tuple[Hashable, Hashable], threading.Lock] = {}

    def get(self, family: Hashable, version: Hashable, compute: Callable[[], T]) -> T:
        """The value of `family` at `version`, computed by `compute` if nobody has yet."""
        found, value = self.peek(family, version)
        if found:
            return cast(T, value)
        with self._lock:
            computing = self._computing.setdefault((family, version), threading.Lock())
        with computing:
            found, value = self.peek(family, version)  # computed while this thread waited
            if found:
                return cast(T, value)
            computed = compute()
            self.put(family, version, computed)
        with self._lock:
            self._computing.pop((family, version), None)
        return computed

    def peek(self, family: Hashable, version: Hashable) -> tuple[bool, object]:
        """(True, value) if `family` is cached at `version`, else (False, None)."""
        with self._lock:
            entry = self._entries.get(family)
            if entry is None or entry[0] != version:
                return False, None
            self._entries.move_to_end(family)
            return True, entry[1]

    def latest(self, family: Hashable) -> object | None:
        """The value of `family` at whatever version is cached, None if none is."""
        with self._lock:
            entry = self._entries.get(family)
            return None if entry is None else entry[1]

    def put(self, family: Hashable, version: Hashable, value: object) -> None:
        with self._lock:
            self._entries[family] = (version, value)
            self._entries.move_to_end(family)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)
