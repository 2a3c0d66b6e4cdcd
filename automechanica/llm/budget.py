"""Spend caps: per UTC day and per workflow, in USD, read from the call log.

Before each attempt the router asks `reserve` with the most that attempt could
cost. A model that could cross a cap is refused, so the chain moves to cheaper
tiers, then to the free offline provider, and the refusal is recorded as the
fallback reason. An accepted attempt holds its worst-case cost as a reservation
until `settle` replaces it with the actual cost (nothing when it is unknown, as
for a timeout): N concurrent calls see each other's reservations and cannot
together cross a cap. Check and reservation are one synchronous step, so no other
task runs between them.

Spend is the sum of known costs in `llm_calls` (re-read every `refresh_seconds`,
so other processes' spend is seen within that lag) plus this process's own
settled calls since. An unpriced model (cost unknown) may be used while spend
and reservations are under the cap, never once it is reached.

Budgets fail closed: while spend cannot be read (the database is down, or it has
not been read yet), a capped budget refuses every model that is not free, with
the reason "spend could not be read"; free models (price 0, offline) still
answer. The read is tried again after `retry_seconds`. Without a pool the
process's own spend is all there is to know, and is always known.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
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
READ_TIMEOUT = 2.0  # seconds to wait for a pooled connection before giving up on a read
log = logging.getLogger(__name__)


@dataclass
class _Spend:
    """Spend as last read: `spent` None when it could not be read; read again at `due`."""

    spent: Decimal | None
    due: float


@dataclass
class Reservation:
    """An attempt's worst-case cost, held against the caps until it is settled."""

    amount: Decimal
    workflow_id: UUID | None
    open: bool = True


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
        retry_seconds: float = 5.0,
        read_timeout: float = READ_TIMEOUT,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.daily_usd = daily_usd
        self.workflow_usd = workflow_usd
        self.pool = pool
        self.call_log = call_log
        self.refresh_seconds = refresh_seconds
        self.retry_seconds = retry_seconds
        self.read_timeout = read_timeout
        self.clock = clock
        self._day: datetime | None = None
        # Without a pool this process's own spend is all there is: known from the start.
        self._today = _Spend(ZERO if pool is None else None, float("-inf"))
        self._workflows: OrderedDict[UUID, _Spend] = OrderedDict()
        self._reserved_today = ZERO
        self._reserved: dict[UUID, Decimal] = {}
        self._unreadable = "not read yet"  # why spend is unknown, for the refusal
        self._settled_meanwhile: list[tuple[UUID | None, Decimal]] | None = None
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
                self._day, self._today = day, _Spend(ZERO, float("inf"))
            if workflow_id is not None and workflow_id not in self._workflows:
                self._remember(workflow_id, _Spend(ZERO, float("inf")))
            return
        if not any(self._stale(workflow_id, now, day)):
            return
        async with self._lock:
            need_day, need_wf = self._stale(workflow_id, now, day)  # another task may have read
            wanted = workflow_id if need_wf else None
            if not (need_day or wanted):
                return
            try:
                await self._refresh(day if need_day else None, wanted, now)
            except Exception as exc:  # fail closed: unknown spend refuses paid models
                self._unreadable = f"{type(exc).__name__}: {' '.join(str(exc).split())}"[:200]
                log.warning(
                    "LLM budget: spend could not be read (%s); paid models are refused "
                    "until it can be, retrying in %g s",
                    self._unreadable,
                    self.retry_seconds,
                )
                retry_at = now + self.retry_seconds
                if need_day:
                    self._day, self._today = day, _Spend(None, retry_at)
                if wanted is not None:
                    self._remember(wanted, _Spend(None, retry_at))
            finally:
                self._settled_meanwhile = None

    async def _refresh(self, day: datetime | None, workflow_id: UUID | None, now: float) -> None:
        """Read the day's spend (when `day`) and the workflow's (when `workflow_id`)."""
        if self.call_log is not None:
            await self.call_log.flush()  # our own rows count once: in the database
        # Costs settled while a read runs may miss it: they are added to what it
        # returns (counted twice at worst, until the next read; never lost).
        meanwhile: list[tuple[UUID | None, Decimal]] = []
        self._settled_meanwhile = meanwhile
        if day is not None:
            spent = await self._read(queries.SPEND_SINCE, {"since": day})
            spent += sum((cost for _, cost in meanwhile), ZERO)
            self._day, self._today = day, _Spend(spent, now + self.refresh_seconds)
        if workflow_id is not None:
            spent = await self._read(queries.SPEND_OF_WORKFLOW, {"workflow_id": workflow_id})
            spent += sum((c for w, c in meanwhile if w == workflow_id), ZERO)
            self._remember(workflow_id, _Spend(spent, now + self.refresh_seconds))

    def _stale(self, workflow_id: UUID | None, now: float, day: datetime) -> tuple[bool, bool]:
        """Whether the day's and the workflow's spend must be read (again)."""
        need_day = self.daily_usd is not None and (day != self._day or now >= self._today.due)
        cached = self._workflows.get(workflow_id) if workflow_id else None
        need_wf = workflow_id is not None and (cached is None or now >= cached.due)
        return need_day, need_wf

    async def _read(self, sql: str, params: dict[str, Any]) -> Decimal:
        assert self.pool is not None
        async with self.pool.connection(timeout=self.read_timeout) as conn:
            cur = await conn.execute(sql, params)
            row = await cur.fetchone()
        value = row["spent"] if isinstance(row, dict) else (row[0] if row else 0)
        return Decimal(value or 0)

    def _remember(self, workflow_id: UUID, spend: _Spend) -> None:
        self._workflows[workflow_id] = spend
        self._workflows.move_to_end(workflow_id)
        while len(self._workflows) > MAX_WORKFLOWS:
            self._workflows.popitem(last=False)

    def spent_today(self) -> Decimal | None:
        """Settled spend today; None when it could not be read."""
        if self._day != _utc_midnight():
            return ZERO if self.pool is None else None
        return self._today.spent

    def spent_by(self, workflow_id: UUID) -> Decimal | None:
        """Settled spend of a workflow; None when it could not be read."""
        cached = self._workflows.get(workflow_id)
        if cached is None:
            return ZERO if self.pool is None else None
        return cached.spent

    def reserved_today(self) -> Decimal:
        """Worst-case costs of attempts under way (reserved, not yet settled)."""
        return self._reserved_today

    def over_cap(
        self,
        model: str,
        worst_cost: Decimal | None,
        workflow_id: UUID | None,
        workflow_cap: Decimal | None,
    ) -> str | None:
        """Why `model` would break a cap (counting reservations), or None when it may go."""
        if worst_cost == ZERO:
            return None  # free: no cap applies, known spend or not
        caps = [("daily", self.daily_usd, self.spent_today(), self._reserved_today)]
        if workflow_id is not None:
            cap = workflow_cap if workflow_cap is not None else self.workflow_usd
            held = self._reserved.get(workflow_id, ZERO)
            caps.append(("workflow", cap, self.spent_by(workflow_id), held))
        for name, cap, spent, held in caps:
            if cap is None:
                continue
            if spent is None:
                return (
                    f"{name} budget: spend could not be read ({self._unreadable}); "
                    "paid models are refused until it can be"
                )
            committed = spent + held
            pending = f" (+ ${held:.4f} held by calls under way)" if held else ""
            if worst_cost is None and committed >= cap:
                return (
                    f"{name} budget reached (${spent:.4f}{pending} of ${cap}); {model} has no price"
                )
            if worst_cost is not None and committed + worst_cost > cap:
                return (
                    f"{name} budget: ${spent:.4f} of ${cap} spent{pending}; "
                    f"{model} could cost ${worst_cost:.4f}"
                )
        return None

    def reserve(
        self,
        model: str,
        worst_cost: Decimal | None,
        workflow_id: UUID | None,
        workflow_cap: Decimal | None,
    ) -> Reservation | str:
        """Hold `worst_cost` for one attempt, or say why `model` may not be called.

        Synchronous on purpose: no other task can check the caps in between.
        """
        why = self.over_cap(model, worst_cost, workflow_id, workflow_cap)
        if why is not None:
            return why
        amount = worst_cost or ZERO  # an unpriced model holds nothing it could name
        self._reserved_today += amount
        if workflow_id is not None:
            self._reserved[workflow_id] = self._reserved.get(workflow_id, ZERO) + amount
        return Reservation(amount, workflow_id)

    def settle(self, reservation: Reservation, cost: Decimal | None) -> None:
        """Replace the reservation with the attempt's actual cost (None: release only)."""
        if not reservation.open:
            return
        reservation.open = False
        self._reserved_today -= reservation.amount
        workflow_id = reservation.workflow_id
        if workflow_id is not None:
            left = self._reserved.get(workflow_id, ZERO) - reservation.amount
            if left > ZERO:
                self._reserved[workflow_id] = left
            else:
                self._reserved.pop(workflow_id, None)
        self.add(cost, workflow_id)

    def add(self, cost: Decimal | None, workflow_id: UUID | None) -> None:
        """Count a finished attempt's known cost."""
        if not cost:
            return
        if self._settled_meanwhile is not None:
            self._settled_meanwhile.append((workflow_id, cost))
        if self.pool is None and self._day != _utc_midnight():  # a new day, own spend only
            self._day, self._today = _utc_midnight(), _Spend(ZERO, float("inf"))
        if self._day == _utc_midnight() and self._today.spent is not None:
            self._today.spent += cost
        cached = self._workflows.get(workflow_id) if workflow_id is not None else None
        if cached is not None and cached.spent is not None:
            cached.spent += cost


def _utc_midnight() -> datetime:
    return datetime.combine(datetime.now(UTC).date(), dtime(0), tzinfo=UTC)
