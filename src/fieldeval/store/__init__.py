"""The results store: the only package that speaks SQL."""

from fieldeval.records.run import OutputKey, OutputRecord, RunInfo, StoredExample, StoredOutput
from fieldeval.store.store import Store

__all__ = ["OutputKey", "OutputRecord", "RunInfo", "Store", "StoredExample", "StoredOutput"]
