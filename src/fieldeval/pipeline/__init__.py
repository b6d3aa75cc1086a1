"""The pipeline behind the front door: validate, evaluate (or estimate), gate.

`fieldeval/__init__.py` re-exports these; the CLI, the pytest plugin and scripts call them.
"""

from fieldeval.pipeline.estimation import estimate
from fieldeval.pipeline.evaluation import Evaluation
from fieldeval.pipeline.gating import Gating, gate
from fieldeval.pipeline.observer import Observer
from fieldeval.pipeline.production import collect, coverage, drift, sample
from fieldeval.pipeline.rate import RateResult
from fieldeval.pipeline.run import evaluate, evaluate_async
from fieldeval.pipeline.validation import Validation, validate

__all__ = [
    "Evaluation",
    "Gating",
    "Observer",
    "RateResult",
    "Validation",
    "collect",
    "coverage",
    "drift",
    "estimate",
    "evaluate",
    "evaluate_async",
    "gate",
    "sample",
    "validate",
]
