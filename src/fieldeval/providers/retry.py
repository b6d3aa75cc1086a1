"""How long to wait before the next attempt of a failed call."""

from __future__ import annotations

import random

from fieldeval.errors import ProviderError
from fieldeval.suite.candidates import Retry


def backoff_s(policy: Retry, attempt: int, error: ProviderError, rng: random.Random) -> float:
    """Exponential backoff with jitter; a server's Retry-After wins when it asks for more.

    `attempt` is the number of the call that just failed, from 1. Our own backoff is capped
    by `max_backoff_s`; the server's Retry-After only by `max_retry_after_s`, since waiting
    less than it asked for only earns another 429.
    """
    ceiling = min(policy.max_backoff_s, policy.backoff_s * 2 ** (attempt - 1))
    wait = rng.uniform(ceiling / 2, ceiling)
    if error.retry_after is not None:
        wait = max(wait, min(error.retry_after, policy.max_retry_after_s))
    return wait
