"""The router: the one door agents use to reach a language model (DESIGN.md §5).

`await router.complete(request)` walks the chain from `selection.plan`: at each
model it checks health and budget, makes the attempt, and on failure lets the
failure's kind decide (`failures.POLICIES`): retry on the same model, or move
on (to the next model, a bigger window, another provider). Every attempt is one
`llm_calls` row. `router.stream(request)` does the same for text, falling back
only before the first token.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import random
import re
import time
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from types import TracebackType
from typing import Any

from pydantic import BaseModel, ValidationError

from automechanica.llm.budget import Budget, Reservation
from automechanica.llm.call_log import CallLog, CallRecord, MemoryCallLog
from automechanica.llm.catalog import Catalog
from automechanica.llm.errors import (
    AllModelsFailedError,
    LLMError,
    ProviderError,
    StreamInterruptedError,
)
from automechanica.llm.failures import POLICIES, FailureKind
from automechanica.llm.health import HealthBoard
from automechanica.llm.providers.base import (
    Provider,
    ProviderRequest,
    ProviderResult,
    StreamEnd,
    TextDelta,
)
from automechanica.llm.selection import Candidate, estimate_prompt_tokens, plan
from automechanica.llm.types import LLMRequest, LLMResponse, Message, Usage

log = logging.getLogger(__name__)

FENCE = re.compile(r"^```(?:json)?\s*(.*?)\s*```$", re.DOTALL)
ERROR_EXCERPT = 500


@dataclass(frozen=True)
class RetryOptions:
    """How long the router waits before trying the same model again."""

    base_delay: float = 0.5  # backoff after the first transient failure (doubles)
    max_delay: float = 8.0
    max_wait: float = 10.0  # the longest Retry-After honoured; longer cools the model instead
    jitter: float = 0.25  # a delay is shortened at random by up to this share


@dataclass
class _Run:
    """One request's walk along its chain."""

    request: LLMRequest
    chain: list[Candidate]
    schema: dict[str, Any] | None
    prompt_hash: str
    started: float = field(default_factory=time.perf_counter)
    attempts: int = 0
    reasons: list[str] = field(default_factory=list)  # why we left the models so far
    errors: list[ProviderError] = field(default_factory=list)
    excluded_providers: set[str] = field(default_factory=set)
    min_context: int = 0
    budget_skipped: bool = False
    hold: Reservation | None = None  # the budget reservation of the attempt under way

    @property
    def first_choice(self) -> str:
        return self.chain[0].model.name

    def reason(self) -> str | None:
        return "; ".join(self.reasons) if self.reasons else None


class Router:
    """Chooses, calls, retries, falls back, and records; agents see only this."""

    def __init__(
        self,
        catalog: Catalog,
        providers: Mapping[str, Provider],
        *,
        call_log: CallLog | None = None,
        health: HealthBoard | None = None,
        budget: Budget | None = None,
        retry: RetryOptions | None = None,
        rng: random.Random | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.catalog = catalog
        self.providers = dict(providers)
        self.call_log: CallLog = call_log if call_log is not None else MemoryCallLog()
        self.health = health or HealthBoard()
        self.budget = budget or Budget()
        self.retry = retry or RetryOptions()
        self.rng = rng or random.Random()
        self.sleep = sleep  # the wait before a retry (tests record it instead of waiting)
        self._warned_unpriced: set[str] = set()

    async def aclose(self) -> None:
        """Write the call log and close every provider's connections."""
        try:
            await self.call_log.aclose()
        finally:
            for provider in self.providers.values():
                await provider.aclose()

    async def __aenter__(self) -> Router:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def flush(self) -> None:
        """Write every queued call-log row now."""
        await self.call_log.flush()

    # -- the chain ------------------------------------------------------------------------

    def chain(self, request: LLMRequest) -> list[Candidate]:
        """The models `request` may go to, in order (health and budget not yet applied)."""
        schema = request.output_schema()
        tokens = estimate_prompt_tokens(request, schema)
        return plan(self.catalog, request, configured=self.providers, prompt_tokens=tokens)

    async def _start(self, request: LLMRequest) -> _Run:
        await self.budget.prepare(request.workflow_id, request.workflow_budget_usd)
        return _Run(request, self.chain(request), request.output_schema(), _prompt_hash(request))

    def _eligible(self, run: _Run) -> Iterator[Candidate]:
        """The candidates still allowed when their turn comes; skips are recorded as reasons."""
        for candidate in run.chain:
            model = candidate.model
            if candidate.offline:
                yield candidate
                continue
            if model.provider in run.excluded_providers:
                continue
            if model.context_window <= run.min_context:
                continue
            if candidate.budget_only and not run.budget_skipped:
                continue
            if not self._reserve(run, candidate):
                continue
            down = self.health.unavailable(model.name, model.provider)
            if down is not None:
                self._settle(run, None)
                run.reasons.append(f"{model.name} skipped: {down}")
                continue
            yield candidate

    def _reserve(self, run: _Run, candidate: Candidate) -> bool:
        """Hold the attempt's worst-case cost; False (and the reason noted) when refused."""
        if candidate.offline or run.hold is not None:
            return True
        model = candidate.model
        held = self.budget.reserve(
            model.name,
            candidate.worst_cost,
            run.request.workflow_id,
            run.request.workflow_budget_usd,
        )
        if isinstance(held, str):
            run.budget_skipped = True
            run.reasons.append(f"{model.name} skipped: {held}")
            return False
        run.hold = held
        return True

    def _settle(self, run: _Run, cost: Decimal | None) -> None:
        """The attempt is over: its reservation becomes its actual cost (None: released)."""
        if run.hold is not None:
            self.budget.settle(run.hold, cost)
            run.hold = None

    def _provider_request(
        self, run: _Run, candidate: Candidate, messages: tuple[Message, ...]
    ) -> ProviderRequest:
        request = run.request
        return ProviderRequest(
            model=candidate.model,
            messages=messages,
            schema=run.schema,
            schema_name=request.output.__name__ if request.output is not None else "output",
            tools=request.tools,
            max_tokens=min(request.max_tokens, candidate.model.max_output_tokens),
            temperature=request.temperature,
            source=request,
        )

    # -- complete -------------------------------------------------------------------------

    async def complete(self, request: LLMRequest) -> LLMResponse:
        """The answer from the cheapest healthy model that qualifies (or the next ones)."""
        run = await self._start(request)
        for candidate in self._eligible(run):
            response = await self._complete_on(run, candidate)
            if response is not None:
                return response
        raise AllModelsFailedError(run.errors)

    async def _complete_on(self, run: _Run, candidate: Candidate) -> LLMResponse | None:
        """Attempts on one model; None when the chain must move on."""
        provider = self.providers[candidate.model.provider]
        messages = run.request.messages
        failures: dict[FailureKind, int] = {}
        try:
            return await self._attempts_on(run, candidate, provider, messages, failures)
        finally:
            self._settle(run, None)  # an error of ours: nothing stays reserved

    async def _attempts_on(
        self,
        run: _Run,
        candidate: Candidate,
        provider: Provider,
        messages: tuple[Message, ...],
        failures: dict[FailureKind, int],
    ) -> LLMResponse | None:
        arrival_reason = run.reason()
        while True:
            if not self._reserve(run, candidate):  # a retry holds its own worst case
                return None
            run.attempts += 1
            began = time.perf_counter()
            try:
                result = await provider.complete(self._provider_request(run, candidate, messages))
                parsed = self._validate(run, candidate, result)
            except asyncio.CancelledError:
                self._cancelled(run, candidate, began, arrival_reason)
                raise
            except ProviderError as exc:
                latency = (time.perf_counter() - began) * 1000
                delay = self._after_failure(run, candidate, exc, failures, latency, arrival_reason)
                if delay is None:
                    return None
                if exc.kind is FailureKind.INVALID_OUTPUT:
                    messages = _repair(messages, exc)
                if delay > 0:
                    await self.sleep(delay)
                continue
            latency = (time.perf_counter() - began) * 1000
            cost = self._succeeded(run, candidate, result.usage, latency, arrival_reason)
            return LLMResponse(
                text=result.text,
                parsed=parsed,
                tool_calls=result.tool_calls,
                model=candidate.model.name,
                provider=candidate.model.provider,
                usage=result.usage,
                cost_usd=cost,
                latency_ms=(time.perf_counter() - run.started) * 1000,
                attempts=run.attempts,
                fallback_reason=arrival_reason,
            )

    def _validate(self, run: _Run, candidate: Candidate, result: ProviderResult) -> Any:
        output = run.request.output
        if output is None:
            return None
        text = result.text.strip()
        fenced = FENCE.match(text)
        try:
            return output.model_validate_json(fenced.group(1) if fenced else text)
        except ValidationError as exc:
            raise ProviderError(
                FailureKind.INVALID_OUTPUT,
                _short(str(exc)),
                provider=candidate.model.provider,
                model=candidate.model.name,
                tokens_in=result.usage.tokens_in,
                tokens_out=result.usage.tokens_out,
                raw_output=result.text,
            ) from exc

    # -- bookkeeping shared by complete and stream ----------------------------------------

    def _after_failure(
        self,
        run: _Run,
        candidate: Candidate,
        exc: ProviderError,
        failures: dict[FailureKind, int],
        latency_ms: float,
        arrival_reason: str | None,
    ) -> float | None:
        """Record a failed attempt; the delay before retrying here, or None to move on."""
        model = candidate.model
        policy = POLICIES[exc.kind]
        failures[exc.kind] = failures.get(exc.kind, 0) + 1
        self.health.failure(model.name, exc.kind, retry_after=exc.retry_after)
        delay: float | None = None
        if failures[exc.kind] <= policy.retries and not self.health.is_open(model.name):
            delay = self._delay(exc, failures[exc.kind])
        too_long = exc.retry_after is not None and exc.retry_after > self.retry.max_wait
        if exc.kind is FailureKind.RATE_LIMITED and exc.retry_after is not None and too_long:
            self.health.cool(model.name, exc.retry_after, f"Retry-After {exc.retry_after:g}s")
            delay = None
        if delay is None:
            run.errors.append(exc)
            self._move(run, candidate, exc, failures[exc.kind])
        later = run.chain.index(candidate) < len(run.chain) - 1
        outcome = "retry" if delay is not None else ("fallback" if later else "failed")
        cost = model.cost(exc.tokens_in, exc.tokens_out, 0)
        self._settle(run, cost)  # billed tokens count; unknown ones release the hold
        self._record(
            run,
            candidate,
            outcome=outcome,
            usage=Usage(tokens_in=exc.tokens_in, tokens_out=exc.tokens_out),
            cost=cost,
            latency_ms=latency_ms,
            error_kind=exc.kind.value,
            reason=arrival_reason,
        )
        log.info("llm attempt failed: %s (%s)", exc, outcome)
        return delay

    def _move(self, run: _Run, candidate: Candidate, exc: ProviderError, count: int) -> None:
        """Apply the policy's move, and say why we left this model."""
        model = candidate.model
        move = POLICIES[exc.kind].move
        if move == "bigger_context":
            run.min_context = max(run.min_context, model.context_window)
        elif move == "other_provider":
            run.excluded_providers.add(model.provider)
        elif move == "provider_out":
            run.excluded_providers.add(model.provider)
            self.health.take_out_provider(model.provider, exc.kind)
        status = f" HTTP {exc.status_code}" if exc.status_code else ""
        times = f" ×{count}" if count > 1 else ""
        run.reasons.append(f"{model.name}: {exc.kind.value}{status}{times}")

    def _delay(self, exc: ProviderError, failure_count: int) -> float:
        if exc.kind is FailureKind.INVALID_OUTPUT:
            return 0.0  # the repair goes at once
        if exc.retry_after is not None:
            return min(exc.retry_after, self.retry.max_wait)
        delay: float = min(self.retry.base_delay * 2.0 ** (failure_count - 1), self.retry.max_delay)
        return delay * (1 - self.retry.jitter * self.rng.random())

    def _succeeded(
        self,
        run: _Run,
        candidate: Candidate,
        usage: Usage,
        latency_ms: float,
        arrival_reason: str | None,
    ) -> Decimal | None:
        model = candidate.model
        self.health.success(model.name)
        cost = model.cost(usage.tokens_in, usage.tokens_out, usage.tokens_cached)
        if cost is None and model.price is None and model.name not in self._warned_unpriced:
            self._warned_unpriced.add(model.name)
            log.warning(
                "model %s has no price in the catalog: its cost is logged as unknown (NULL). "
                "Add `price = {input = …, output = …, as_of = …}` to your models file.",
                model.name,
            )
        self._settle(run, cost)
        self._record(
            run,
            candidate,
            outcome="ok",
            usage=usage,
            cost=cost,
            latency_ms=latency_ms,
            error_kind=None,
            reason=arrival_reason,
        )
        return cost

    def _record(
        self,
        run: _Run,
        candidate: Candidate,
        *,
        outcome: str,
        usage: Usage,
        cost: Decimal | None,
        latency_ms: float,
        error_kind: str | None,
        reason: str | None,
    ) -> None:
        request = run.request
        self.call_log.record(
            CallRecord(
                provider=candidate.model.provider,
                model_requested=run.first_choice,
                model_used=candidate.model.name,
                attempt=run.attempts,
                outcome=outcome,
                task_kind=request.task_kind,
                complexity=request.complexity,
                workflow_id=request.workflow_id,
                task_id=request.task_id,
                agent=request.agent,
                tokens_in=usage.tokens_in,
                tokens_out=usage.tokens_out,
                tokens_cached=usage.tokens_cached,
                latency_ms=round(latency_ms, 3),
                cost_usd=cost,
                error_kind=error_kind,
                fallback_reason=reason,
                prompt_hash=run.prompt_hash,
            )
        )

    # -- stream ---------------------------------------------------------------------------

    def stream(self, request: LLMRequest) -> LLMStream:
        """Text as it comes; falls back only before the first token.

        async with router.stream(request) as chunks:
            async for text in chunks:
                ...
        chunks.response  # model, usage, cost, once the stream is done
        """
        if request.output is not None:
            raise LLMError("A stream returns text: use complete() for structured output.")
        return LLMStream(self, request)

    async def _stream(self, request: LLMRequest, sink: LLMStream) -> AsyncGenerator[str, None]:
        run = await self._start(request)
        chunks = self._stream_chain(run, sink)
        try:
            async for text in chunks:
                yield text
        finally:
            await chunks.aclose()  # a caller that stopped reading: the attempt's row is written
            self._settle(run, None)  # an error of ours: nothing stays reserved

    async def _stream_chain(self, run: _Run, sink: LLMStream) -> AsyncGenerator[str, None]:
        request = run.request
        for candidate in self._eligible(run):
            provider = self.providers[candidate.model.provider]
            failures: dict[FailureKind, int] = {}
            arrival_reason = run.reason()
            while True:
                if not self._reserve(run, candidate):  # a retry holds its own worst case
                    break
                run.attempts += 1
                began = time.perf_counter()
                parts: list[str] = []
                usage = Usage()
                events = provider.stream(self._provider_request(run, candidate, request.messages))
                try:
                    async for event in events:
                        if isinstance(event, TextDelta):
                            parts.append(event.text)
                            yield event.text
                        elif isinstance(event, StreamEnd):
                            usage = event.usage
                except (GeneratorExit, asyncio.CancelledError):  # the caller stopped reading
                    self._cancelled(run, candidate, began, arrival_reason)
                    raise
                except ProviderError as exc:
                    latency = (time.perf_counter() - began) * 1000
                    if parts:  # the caller has text already: no fallback now
                        self._broken_stream(run, candidate, exc, latency, arrival_reason)
                        raise StreamInterruptedError(exc, "".join(parts)) from exc
                    delay = self._after_failure(
                        run, candidate, exc, failures, latency, arrival_reason
                    )
                    if delay is None:
                        break
                    await self.sleep(delay)
                    continue
                finally:
                    await events.aclose()
                latency = (time.perf_counter() - began) * 1000
                cost = self._succeeded(run, candidate, usage, latency, arrival_reason)
                sink.response = LLMResponse(
                    text="".join(parts),
                    model=candidate.model.name,
                    provider=candidate.model.provider,
                    usage=usage,
                    cost_usd=cost,
                    latency_ms=(time.perf_counter() - run.started) * 1000,
                    attempts=run.attempts,
                    fallback_reason=arrival_reason,
                )
                return
        raise AllModelsFailedError(run.errors)

    def _cancelled(
        self, run: _Run, candidate: Candidate, began: float, arrival_reason: str | None
    ) -> None:
        """The caller gave up mid-attempt: still one row (tokens unknown)."""
        self._settle(run, None)
        self._record(
            run,
            candidate,
            outcome="cancelled",
            usage=Usage(),
            cost=None,
            latency_ms=(time.perf_counter() - began) * 1000,
            error_kind=None,
            reason=arrival_reason,
        )

    def _broken_stream(
        self,
        run: _Run,
        candidate: Candidate,
        exc: ProviderError,
        latency_ms: float,
        arrival_reason: str | None,
    ) -> None:
        self.health.failure(candidate.model.name, exc.kind, retry_after=exc.retry_after)
        self._settle(run, None)  # tokens of a broken stream are unknown
        self._record(
            run,
            candidate,
            outcome="failed",
            usage=Usage(),
            cost=None,
            latency_ms=latency_ms,
            error_kind=exc.kind.value,
            reason=arrival_reason,
        )


class LLMStream:
    """An async iterator of text; `response` holds the record once it is done."""

    def __init__(self, router: Router, request: LLMRequest) -> None:
        self.response: LLMResponse | None = None
        self._chunks = router._stream(request, self)

    def __aiter__(self) -> AsyncIterator[str]:
        return self._chunks

    async def aclose(self) -> None:
        await self._chunks.aclose()

    async def __aenter__(self) -> LLMStream:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()


def _prompt_hash(request: LLMRequest) -> str:
    """Same prompt, same hash: finds repeated calls without storing the prompt."""
    payload = {
        "messages": [[m.role, m.content] for m in request.messages],
        "output": None if request.output is None else _schema_digest(request.output),
        "tools": [t.model_dump() for t in request.tools],
    }
    encoded = json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()
    return hashlib.sha256(encoded).hexdigest()[:32]


@lru_cache(maxsize=512)
def _schema_digest(model: type[BaseModel]) -> str:
    schema = json.dumps(model.model_json_schema(), sort_keys=True)
    return hashlib.sha256(schema.encode()).hexdigest()


def _repair(messages: tuple[Message, ...], exc: ProviderError) -> tuple[Message, ...]:
    """The conversation plus the bad answer and what was wrong with it."""
    return (
        *messages,
        Message(role="assistant", content=exc.raw_output or ""),
        Message(
            role="user",
            content=(
                "That answer does not match the required JSON schema: "
                f"{_short(exc.detail)}. Reply with the corrected JSON object only."
            ),
        ),
    )


def _short(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= ERROR_EXCERPT else flat[: ERROR_EXCERPT - 1] + "…"
