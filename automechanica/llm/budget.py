"""Spend caps: per UTC day and per workflow, in USD, read from the call log.

The router asks `over_cap` for each candidate with the most that call could
cost; a model that could cross a cap is skipped, so the chain moves to cheaper
tiers, then to the free offline provider, and the skip is recorded as the
fallback reason. Spend is the sum of known costs in `llm_calls` (re-read every
`refresh_seconds`, so other processes' spend is seen within that lag) plus this
process's own calls since. An unpriced model (cost unknown) may be used while
spend is under the cap, never once it is reached. When the log cannot be read
(the database is down), the last known figures stand, with a warning.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from collections.abc import Callable
from datetime import UTC, datetime
from datetime import time as dtime
from decimal import Decimal
from typing import Any
from uuid import UUID

from psycopg_pool import AsyncConnectionPool

from automechanica.llm import queries
from automechanica.llm.call_log import CallLog

ZERO = Decimal(0)
MAX_WORKFLOWS = 10_000  # workflows whose spend is cached
READ_TIMEOUT = 2.0  # seconds to wait for a pooled connection before using cached spend
log = logging.getLogger(__name__)


class Budget:
    """Daily and per-workflow caps; `None` means no cap."""

    def __init__(
        self,
        *,
        daily_usd: Decimal | None = None,
        workflow_usd: Decimal | None = None,
        pool: AsyncConnectionPool[Any] | None = None,
        call_log: CallLog | None = None,
        refresh_seconds: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.daily_usd = daily_usd
        self.workflow_usd = workflow_usd
        self.pool = pool
        self.call_log = call_log
        self.refresh_seconds = refresh_seconds
        self.clock = clock
        self._day: datetime | None = None
        self._day_spent = ZERO
        self._day_read_at = float("-inf")
        self._workflows: OrderedDict[UUID, tuple[Decimal, float]] = OrderedDict()
        self._lock = asyncio.Lock()

    @property
    def active(self) -> bool:
        return self.daily_usd is not None or self.workflow_usd is not None

    async def prepare(self, workflow_id: UUID | None, workflow_cap: Decimal | None) -> None:
        """Make sure the spend figures this request needs are fresh enough."""
        if self.daily_usd is None and self.workflow_usd is None and workflow_cap is None:
            return
        now, day = self.clock(), _utc_midnight()
        if self.pool is None:  # this process's own spend is all there is to know
            if day != self._day:
                self._day, self._day_spent = day, ZERO
            if workflow_id is not None and workflow_id not in self._workflows:
                self._remember(workflow_id, ZERO, now)
            return
        need_day = self.daily_usd is not None and (
            day != self._day or now - self._day_read_at > self.refresh_seconds
        )
        cached = self._workflows.get(workflow_id) if workflow_id else None
        need_wf = workflow_id is not None and (
            cached is None or now - cached[1] > self.refresh_seconds
        )
        if not (need_day or need_wf):
            return
        async with self._lock:
            try:
                if self.call_log is not None:
                    await self.call_log.flush()  # our own rows count once: in the database
                if need_day:
                    self._day_spent = await self._read(queries.SPEND_SINCE, {"since": day})
                    self._day, self._day_read_at = day, now
                if need_wf and workflow_id is not None:
                    spent = await self._read(
                        queries.SPEND_OF_WORKFLOW, {"workflow_id": workflow_id}
                    )
                    self._remember(workflow_id, spent, now)
            except Exception:  # an unreadable log must not stop every agent: last known spend
                log.warning("LLM budget: spend could not be read; using the last known figures")
                if day != self._day:
                    self._day, self._day_spent = day, ZERO
                self._day_read_at = now  # try again after refresh_seconds, not on every call
                if workflow_id is not None:
                    self._remember(workflow_id, self.spent_by(workflow_id), now)

    async def _read(self, sql: str, params: dict[str, Any]) -> Decimal:
        assert self.pool is not None
        async with self.pool.connection(timeout=READ_TIMEOUT) as conn:
            cur = await conn.execute(sql, params)
            row = await cur.fetchone()
        value = row["spent"] if isinstance(row, dict) else (row[0] if row else 0)
        return Decimal(value or 0)

    def _remember(self, workflow_id: UUID, spent: Decimal, at: float) -> None:
        self._workflows[workflow_id] = (spent, at)
        self._workflows.move_to_end(workflow_id)
        while len(self._workflows) > MAX_WORKFLOWS:
            self._workflows.popitem(last=False)

    def spent_today(self) -> Decimal:
        return self._day_spent if self._day == _utc_midnight() else ZERO

    def spent_by(self, workflow_id: UUID) -> Decimal:
        cached = self._workflows.get(workflow_id)
        return cached[0] if cached else ZERO

    def over_cap(
        self,
        model: str,
        worst_cost: Decimal | None,
        workflow_id: UUID | None,
        workflow_cap: Decimal | None,
    ) -> str | None:
        """Why `model` would break a cap, or None when it may be called."""
        if worst_cost == ZERO:
            return None
        caps = [("daily", self.daily_usd, self.spent_today())]
        if workflow_id is not None:
            cap = workflow_cap if workflow_cap is not None else self.workflow_usd
            caps.append(("workflow", cap, self.spent_by(workflow_id)))
        for name, cap, spent in caps:
            if cap is None:
                continue
            if worst_cost is None and spent >= cap:
                return f"{name} budget reached (${spent:.4f} of ${cap}); {model} has no price"
            if worst_cost is not None and spent + worst_cost > cap:
                return (
                    f"{name} budget: ${spent:.4f} of ${cap} spent; {model} could cost "
                    f"${worst_cost:.4f}"
                )
        return None

    def add(self, cost: Decimal | None, workflow_id: UUID | None) -> None:
        """Count a finished attempt's known cost."""
        if not cost:
            return
        if self._day == _utc_midnight():
            self._day_spent += cost
        if workflow_id is not None and workflow_id in self._workflows:
            spent, at = self._workflows[workflow_id]
            self._workflows[workflow_id] = (spent + cost, at)


def _utc_midnight() -> datetime:
    return datetime.combine(datetime.now(UTC).date(), dtime(0), tzinfo=UTC)
