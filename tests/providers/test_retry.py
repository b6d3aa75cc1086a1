"""How long a failed call waits before the next attempt: backoff, and the server's word."""

from __future__ import annotations

import random

import pytest

from fieldeval.errors import ErrorKind, ProviderError
from fieldeval.providers.retry import backoff_s
from fieldeval.suite.candidates import Retry


def limited(after: float | None) -> ProviderError:
    return ProviderError("429 slow down", ErrorKind.RATE_LIMITED, status=429, retry_after=after)


def test_a_servers_retry_after_is_honoured_beyond_the_backoff_cap() -> None:
    policy = Retry(backoff_s=0.01, max_backoff_s=1.0)
    waits = [backoff_s(policy, 1, limited(5.0), random.Random(seed)) for seed in range(20)]
    assert waits == [5.0] * 20  # Retry-After: 5 means 5 s, not the 1 s our own backoff caps at


def test_retry_after_has_its_own_ceiling() -> None:
    policy = Retry(max_backoff_s=1.0, max_retry_after_s=60.0)
    assert backoff_s(policy, 1, limited(3600.0), random.Random(0)) == 60.0


@pytest.mark.parametrize("attempt", [1, 2, 3, 6])
def test_our_own_backoff_stays_within_its_cap_without_retry_after(attempt: int) -> None:
    policy = Retry(backoff_s=0.5, max_backoff_s=2.0)
    ceiling = min(2.0, 0.5 * 2 ** (attempt - 1))
    for seed in range(50):
        wait = backoff_s(policy, attempt, limited(None), random.Random(seed))
        assert ceiling / 2 <= wait <= ceiling


def test_a_short_retry_after_does_not_cut_our_backoff() -> None:
    policy = Retry(backoff_s=4.0, max_backoff_s=30.0)
    assert backoff_s(policy, 1, limited(0.1), random.Random(0)) >= 2.0
