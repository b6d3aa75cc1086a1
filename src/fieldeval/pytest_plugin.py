"""The pytest plugin: a `fieldeval_suite` fixture and readable failures for pass rates.

    def test_tone(fieldeval_suite):
        result = fieldeval_suite("evals/suite.yaml")
        assert result.pass_rate("tone", candidate="gemma") > 0.8

pytest loads this module in every session of a project that has fieldeval installed, so it
imports nothing heavy: the suite runs when a test first asks for it.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from fieldeval.pipeline.evaluation import Evaluation
from fieldeval.pipeline.rate import RateResult
from fieldeval.pipeline.run import evaluate

_OPERATORS = {"<", "<=", ">", ">=", "==", "!="}


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("fieldeval")
    group.addoption(
        "--fieldeval-db",
        default=None,
        help="Results store for the fieldeval_suite fixture (default: .fieldeval/fieldeval.db).",
    )


@pytest.fixture(scope="session")
def fieldeval_suite(pytestconfig: pytest.Config) -> Callable[..., Evaluation]:
    """`fieldeval_suite(path, sample=None)`: the suite's results, run once per session.

    A relative path is taken from the rootdir. Answers already in the store come from its
    cache, so a second session calls no model for unchanged requests.
    """
    results: dict[tuple[Path, int | None], Evaluation] = {}
    db: str | None = pytestconfig.getoption("fieldeval_db")

    def run(path: str | Path, *, sample: int | None = None) -> Evaluation:
        where = Path(path)
        if not where.is_absolute():
            where = pytestconfig.rootpath / where
        key = (where.resolve(), sample)
        if key not in results:
            results[key] = evaluate(key[0], db=db, sample=sample)
        return results[key]

    return run


def pytest_assertrepr_compare(
    config: pytest.Config, op: str, left: object, right: object
) -> list[str] | None:
    """For `rate > 0.8` and the like: the rate, its interval, n and the failing outputs."""
    if op not in _OPERATORS:
        return None
    rates = [side for side in (left, right) if isinstance(side, RateResult)]
    if not rates:
        return None
    lines = [f"{_short(left)} {op} {_short(right)} is false"]
    for rate in rates:
        lines += [f"  {line}" for line in rate.explain()]
    return lines


def _short(value: object) -> str:
    return f"{value}" if isinstance(value, RateResult) else repr(value)
