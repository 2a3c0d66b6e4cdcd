"""Retry policy: exponential backoff with jitter, and when a failure is final."""

from __future__ import annotations

import pytest

from automechanica.queue.backoff import RetryPolicy, after_failure


def test_delays_grow_by_the_factor_up_to_the_cap() -> None:
    policy = RetryPolicy(base_seconds=1, factor=2, cap_seconds=10, jitter=0)
    assert [policy.delay(n) for n in range(1, 7)] == [1, 2, 4, 8, 10, 10]


def test_jitter_shortens_by_at_most_its_fraction() -> None:
    policy = RetryPolicy(base_seconds=4, factor=2, cap_seconds=100, jitter=0.5)
    assert policy.delay(1, rand=lambda: 0.0) == 4
    assert policy.delay(1, rand=lambda: 1.0) == 2
    assert 2 <= policy.delay(1) <= 4


def test_huge_attempt_numbers_stay_at_the_cap() -> None:
    assert RetryPolicy(cap_seconds=60, jitter=0).delay(100_000) == 60


@pytest.mark.parametrize(
    "kwargs", [{"base_seconds": -1}, {"factor": 0.5}, {"jitter": 2}, {"cap_seconds": -3}]
)
def test_nonsense_policies_are_refused(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError, match="RetryPolicy"):
        RetryPolicy(**kwargs)


def test_after_failure_retries_until_attempts_run_out() -> None:
    policy = RetryPolicy(base_seconds=1, jitter=0)
    assert after_failure(policy, attempt=1, max_attempts=3, retryable=True) == ("failed", 1)
    assert after_failure(policy, attempt=2, max_attempts=3, retryable=True) == ("failed", 2)
    assert after_failure(policy, attempt=3, max_attempts=3, retryable=True) == ("dead", 0)


def test_a_non_retryable_error_is_dead_at_once() -> None:
    assert after_failure(RetryPolicy(), attempt=1, max_attempts=5, retryable=False)[0] == "dead"
