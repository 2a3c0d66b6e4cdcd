"""The call log: one `llm_calls` row per attempt, written in batches off the hot path.

Rows are queued in memory and written by one background flush (every
`interval` seconds, or at once past `batch_size`), one INSERT per batch, so a
call does not wait for a commit. `flush()` writes everything queued (tests and
shutdown call it); a database outage keeps the rows (up to `max_pending`) for
the next flush.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Protocol
from uuid import UUID

from psycopg_pool import AsyncConnectionPool

from automechanica.llm import queries

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CallRecord:
    """One attempt, as stored. `model_used` is our record, not the provider's echo."""

    provider: str
    model_requested: str
    model_used: str
    attempt: int
    outcome: str  # ok | retry (same model again) | fallback (moved on) | failed | cancelled
    task_kind: str | None = None
    complexity: str | None = None
    workflow_id: UUID | None = None
    task_id: int | None = None
    agent: str | None = None
    tokens_in: int | None = None
    tokens_out: int | None = None
    tokens_cached: int | None = None
    latency_ms: float | None = None
    cost_usd: Decimal | None = None  # None: unknown (no price, or no token counts)
    error_kind: str | None = None
    fallback_reason: str | None = None
    prompt_hash: str | None = None
    created_at: datetime = field(default_factory=lambda: datetime.now(UTC))


class CallLog(Protocol):
    """Where attempts are recorded."""

    def record(self, row: CallRecord) -> None: ...

    async def flush(self) -> None: ...

    async def aclose(self) -> None: ...


class MemoryCallLog:
    """Keeps rows in a list: for tools and tests that have no database."""

    def __init__(self) -> None:
        self.rows: list[CallRecord] = []

    def record(self, row: CallRecord) -> None:
        self.rows.append(row)

    async def flush(self) -> None:
        return None

    async def aclose(self) -> None:
        return None


def _columns(rows: list[CallRecord]) -> dict[str, list[Any]]:
    return {
        "workflow_ids": [r.workflow_id for r in rows],
        "task_ids": [r.task_id for r in rows],
        "agents": [r.agent for r in rows],
        "task_kinds": [r.task_kind for r in rows],
        "complexities": [r.complexity for r in rows],
        "providers": [r.provider for r in rows],
        "requested": [r.model_requested for r in rows],
        "used": [r.model_used for r in rows],
        "attempts": [r.attempt for r in rows],
        "tokens_in": [r.tokens_in for r in rows],
        "tokens_out": [r.tokens_out for r in rows],
        "tokens_cached": [r.tokens_cached for r in rows],
        "latencies": [r.latency_ms for r in rows],
        "costs": [r.cost_usd for r in rows],
        "outcomes": [r.outcome for r in rows],
        "error_kinds": [r.error_kind for r in rows],
        "reasons": [r.fallback_reason for r in rows],
        "hashes": [r.prompt_hash for r in rows],
        "created": [r.created_at for r in rows],
    }


class PgCallLog:
    """Batched writes to `llm_calls` through a pool (autocommit connections)."""

    def __init__(
        self,
        pool: AsyncConnectionPool[Any],
        *,
        interval: float = 0.2,
        batch_size: int = 500,
        max_pending: int = 100_000,
    ) -> None:
        self.pool = pool
        self.interval = interval
        self.batch_size = batch_size
        self.max_pending = max_pending
        self._pending: list[CallRecord] = []
        self._lock = asyncio.Lock()
        self._timer: asyncio.Task[None] | None = None
        self.written = 0

    def record(self, row: CallRecord) -> None:
        if len(self._pending) >= self.max_pending:
            dropped = self._pending.pop(0)
            log.warning(
                "llm_calls: %d rows waiting; dropped the oldest (%s)", self.max_pending, dropped
            )
        self._pending.append(row)
        if self._timer is None or self._timer.done():
            delay = 0.0 if len(self._pending) >= self.batch_size else self.interval
            self._timer = asyncio.get_running_loop().create_task(self._flush_later(delay))

    async def _flush_later(self, delay: float) -> None:
        await asyncio.sleep(delay)
        try:
            await self._write()
        except Exception:  # kept for the next flush; the caller's call already succeeded
            log.exception("llm_calls: writing the call log failed; will retry")

    async def _write(self) -> None:
        async with self._lock:
            while self._pending:
                batch = self._pending[: self.batch_size]
                async with self.pool.connection() as conn:
                    await conn.execute(queries.INSERT_CALLS, _columns(batch))
                del self._pending[: len(batch)]
                self.written += len(batch)

    async def flush(self) -> None:
        """Write every queued row now."""
        await self._write()

    async def aclose(self) -> None:
        """Write what is queued, then stop the timer (never mid-write: no double rows)."""
        await self._write()
        if self._timer is not None and not self._timer.done():
            self._timer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._timer
