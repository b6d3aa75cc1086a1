"""The results store: the only package that speaks SQL. Its records are in `fieldeval.records`."""

from fieldeval.store.store import Store

__all__ = ["Store"]
