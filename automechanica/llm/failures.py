"""The one failure taxonomy: every provider error becomes a `FailureKind`, and the
kind alone decides what the router does next (`POLICIES`).

Retries stay on one model; a move leaves it. Where the move goes:

    next            the next model in the chain
    bigger_context  the next model with a larger context window
    other_provider  the next model of another provider
    provider_out    the provider is taken out (for `provider_out_seconds`), then next
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Literal


class FailureKind(StrEnum):
    """Why an attempt failed; stored as `llm_calls.error_kind`."""

    RATE_LIMITED = "rate_limited"  # 429: honour Retry-After / retry-after-ms
    OVERLOADED = "overloaded"  # Anthropic 529, 503
    SERVER_ERROR = "server_error"  # other 5xx
    TIMEOUT = "timeout"  # no answer in time
    CONNECTION = "connection"  # refused, reset, DNS: nobody is there
    CONTEXT_TOO_LONG = "context_too_long"  # the prompt does not fit this model
    CONTENT_REFUSED = "content_refused"  # the provider's policy declined
    AUTH = "auth"  # bad or missing key: retrying cannot help
    QUOTA = "quota"  # credit or quota exhausted: retrying cannot help
    INVALID_OUTPUT = "invalid_output"  # structured output that does not validate
    BAD_REQUEST = "bad_request"  # any other 4xx: this model will not take it


Move = Literal["next", "bigger_context", "other_provider", "provider_out"]


@dataclass(frozen=True)
class Policy:
    """What one failure kind makes the router do."""

    retries: int  # further attempts on the same model (a repair, for invalid output)
    move: Move  # where to go once retries are spent
    trips_circuit: bool  # counts towards taking the model out for a while
    trips_at_once: bool = False  # one failure is enough (nobody is listening)


POLICIES: dict[FailureKind, Policy] = {
    FailureKind.RATE_LIMITED: Policy(retries=2, move="next", trips_circuit=True),
    FailureKind.OVERLOADED: Policy(retries=1, move="next", trips_circuit=True),
    FailureKind.SERVER_ERROR: Policy(retries=1, move="next", trips_circuit=True),
    FailureKind.TIMEOUT: Policy(retries=1, move="next", trips_circuit=True),
    FailureKind.CONNECTION: Policy(retries=0, move="next", trips_circuit=True, trips_at_once=True),
    FailureKind.CONTEXT_TOO_LONG: Policy(retries=0, move="bigger_context", trips_circuit=False),
    FailureKind.CONTENT_REFUSED: Policy(retries=0, move="other_provider", trips_circuit=False),
    FailureKind.AUTH: Policy(retries=0, move="provider_out", trips_circuit=False),
    FailureKind.QUOTA: Policy(retries=0, move="provider_out", trips_circuit=False),
    FailureKind.INVALID_OUTPUT: Policy(retries=1, move="next", trips_circuit=False),
    FailureKind.BAD_REQUEST: Policy(retries=0, move="next", trips_circuit=False),
}


def kind_for_status(status: int) -> FailureKind:
    """The default kind of an HTTP error status; adapters refine it from the body."""
    if status == 429:
        return FailureKind.RATE_LIMITED
    if status in (401, 403):
        return FailureKind.AUTH
    if status == 402:
        return FailureKind.QUOTA
    if status == 408:
        return FailureKind.TIMEOUT
    if status == 413:
        return FailureKind.CONTEXT_TOO_LONG
    if status in (503, 529):
        return FailureKind.OVERLOADED
    if status >= 500:
        return FailureKind.SERVER_ERROR
    return FailureKind.BAD_REQUEST


def parse_retry_after(headers: dict[str, str] | None) -> float | None:
    """Seconds to wait from `retry-after-ms` (OpenAI) or `retry-after` (seconds).

    An HTTP date in `retry-after` is ignored: providers send seconds, and a
    clock-skewed date is worse than the router's own backoff.
    """
    if not headers:
        return None
    for name, scale in (("retry-after-ms", 0.001), ("retry-after", 1.0)):
        value = headers.get(name)
        if value is None:
            continue
        try:
            seconds = float(value) * scale
        except ValueError:
            continue
        if seconds >= 0:
            return seconds
    return None
