"""Retry policy: exponential backoff with jitter, and what a failed attempt leads to."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

FailedStatus = Literal["failed", "dead"]


@dataclass(frozen=True)
class RetryPolicy:
    """Delay before retry n is `min(cap, base * factor**(n-1))`, less up to `jitter` of it.

    With the defaults the delays are about 1, 2, 4, 8 … seconds, at most 10 minutes, each
    shortened at random by up to half so that tasks failing together do not retry together.
    """

    base_seconds: float = 1.0
    factor: float = 2.0
    cap_seconds: float = 600.0
    jitter: float = 0.5

    def __post_init__(self) -> None:
        if self.base_seconds < 0 or self.cap_seconds < 0:
            raise ValueError("RetryPolicy: base_seconds and cap_seconds must not be negative")
        if self.factor < 1:
            raise ValueError("RetryPolicy: factor must be at least 1")
        if not 0 <= self.jitter <= 1:
            raise ValueError("RetryPolicy: jitter is a fraction between 0 and 1")

    def delay(self, attempt: int, rand: Callable[[], float] = random.random) -> float:
        """Seconds to wait after failed attempt number `attempt` (1-based)."""
        exponent = max(attempt - 1, 0)
        try:
            raw = self.base_seconds * self.factor**exponent
        except OverflowError:
            raw = self.cap_seconds
        raw = min(self.cap_seconds, raw)
        return raw * (1.0 - self.jitter * rand())


def after_failure(
    policy: RetryPolicy,
    *,
    attempt: int,
    max_attempts: int,
    retryable: bool,
    rand: Callable[[], float] = random.random,
) -> tuple[FailedStatus, float]:
    """The failed attempt's outcome: `("failed", delay)` to retry, or `("dead", 0)`."""
    if not retryable or attempt >= max_attempts:
        return "dead", 0.0
    return "failed", policy.delay(attempt, rand)
