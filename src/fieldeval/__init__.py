"""fieldeval: evaluate LLMs and LLM apps on your own use case."""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"
__all__ = ["__version__", "load_run"]


def __getattr__(name: str) -> Any:
    # `load_run` pulls in the store and pandas: loaded on first use so `import fieldeval` and
    # `fieldeval --help` stay fast.
    if name == "load_run":
        from fieldeval.report.results_export import load_run

        return load_run
    raise AttributeError(f"module 'fieldeval' has no attribute {name!r}")
