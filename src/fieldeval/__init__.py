"""fieldeval: evaluate LLMs and LLM apps on your own use case.

The library's front door; the CLI, the pytest plugin and the web app call the same names:

    import fieldeval

    result = fieldeval.evaluate("examples/complaints/suite.yaml", sample=5)
    for candidate in result.summary.candidates:
        print(candidate.candidate_id, candidate.pass_rate)
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from fieldeval.version import __version__

if TYPE_CHECKING:
    from fieldeval.pipeline import (
        Evaluation,
        Gating,
        Observer,
        RateResult,
        Validation,
        collect,
        coverage,
        drift,
        estimate,
        evaluate,
        evaluate_async,
        gate,
        sample,
        validate,
    )
    from fieldeval.report.results_export import load_run

__all__ = [
    "Evaluation",
    "Gating",
    "Observer",
    "RateResult",
    "Validation",
    "__version__",
    "collect",
    "coverage",
    "drift",
    "estimate",
    "evaluate",
    "evaluate_async",
    "gate",
    "load_run",
    "sample",
    "validate",
]

# Loaded on first use, so `import fieldeval` (which pytest does in every session, for the
# plugin) and `fieldeval --help` stay fast.
_LAZY = {name: "fieldeval.pipeline" for name in __all__ if name not in {"__version__", "load_run"}}
_LAZY["load_run"] = "fieldeval.report.results_export"


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'fieldeval' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
