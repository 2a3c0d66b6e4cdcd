"""Cooldowns and a circuit breaker per deployment, shared by every request of a router.

A model that keeps failing with transient errors (or that nobody answers for)
is taken out for a cooldown; after it, one request probes it (half-open): a
success puts it back, a failure takes it out again for twice as long (capped).
A 429 whose Retry-After is longer than the router will wait cools the model
for exactly that long. Auth and quota failures take the whole provider out.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from automechanica.llm.failures import POLICIES, FailureKind


@dataclass
class _State:
    failures: int = 0  # consecutive transient failures
    open_until: float = 0.0  # out of the chain until this (monotonic) time
    trips: int = 0  # times opened in a row: the cooldown doubles each time
    probing_until: float = 0.0  # a half-open probe is in flight until this time
    reason: str = ""


@dataclass(frozen=True)
class HealthView:
    """One deployment's health, for `automechanica llm models` and logs."""

    key: str
    state: str  # "ok", "failing", "open", "half-open"
    failures: int
    seconds_left: float
    reason: str


class HealthBoard:
    """Which models and providers may be tried now."""

    def __init__(
        self,
        *,
        failure_threshold: int = 3,
        cooldown_seconds: float = 30.0,
        max_cooldown_seconds: float = 600.0,
        provider_out_seconds: float = 3600.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.failure_threshold = failure_threshold
        self.cooldown_seconds = cooldown_seconds
        self.max_cooldown_seconds = max_cooldown_seconds
        self.provider_out_seconds = provider_out_seconds
        self.clock = clock
        self._models: dict[str, _State] = {}
        self._providers: dict[str, _State] = {}

    def unavailable(self, model: str, provider: str) -> str | None:
        """Why `model` may not be tried now, or None when it may (claims a half-open probe)."""
        now = self.clock()
        out = self._providers.get(provider)
        if out is not None and out.open_until > now:
            return f"provider {provider} taken out ({out.reason})"
        state = self._models.get(model)
        if state is None or state.open_until == 0.0:
            return None
        if state.open_until > now:
            return f"circuit open for {model} ({state.reason}, {state.open_until - now:.1f}s left)"
        if state.probing_until > now:
            return f"circuit half-open for {model} (a probe is in flight)"
        state.probing_until = now + self.cooldown_seconds
        return None

    def is_open(self, model: str) -> bool:
        """Whether `model` is out right now (no probe is claimed)."""
        state = self._models.get(model)
        return state is not None and state.open_until > self.clock()

    def success(self, model: str) -> None:
        self._models.pop(model, None)

    def failure(self, model: str, kind: FailureKind, *, retry_after: float | None = None) -> None:
        """Count a failed attempt; open the circuit when the policy says so."""
        policy = POLICIES[kind]
        if not policy.trips_circuit:
            return
        state = self._models.setdefault(model, _State())
        state.failures += 1
        state.probing_until = 0.0
        half_open = state.open_until != 0.0  # a failed probe reopens at once
        if policy.trips_at_once or half_open or state.failures >= self.failure_threshold:
            cooldown = min(self.cooldown_seconds * 2**state.trips, self.max_cooldown_seconds)
            if retry_after is not None:
                cooldown = max(cooldown, retry_after)
            self._open(state, cooldown, f"{state.failures} × {kind.value}")
            state.trips += 1

    def cool(self, model: str, seconds: float, reason: str) -> None:
        """Keep `model` out for `seconds` (a Retry-After longer than we wait)."""
        state = self._models.setdefault(model, _State())
        if self.clock() + seconds > state.open_until:
            self._open(state, seconds, reason)

    def take_out_provider(self, provider: str, kind: FailureKind) -> None:
        """Auth or quota: no model of this provider is tried for `provider_out_seconds`."""
        self._open(
            self._providers.setdefault(provider, _State()), self.provider_out_seconds, kind.value
        )

    def _open(self, state: _State, seconds: float, reason: str) -> None:
        state.open_until = self.clock() + seconds
        state.reason = reason

    def view(self, model: str, provider: str) -> HealthView:
        now = self.clock()
        out = self._providers.get(provider)
        if out is not None and out.open_until > now:
            return HealthView(model, "open", 0, out.open_until - now, f"provider: {out.reason}")
        state = self._models.get(model)
        if state is None:
            return HealthView(model, "ok", 0, 0.0, "")
        if state.open_until > now:
            return HealthView(model, "open", state.failures, state.open_until - now, state.reason)
        if state.open_until:
            return HealthView(model, "half-open", state.failures, 0.0, state.reason)
        return HealthView(
            model, "failing" if state.failures else "ok", state.failures, 0.0, state.reason
        )
