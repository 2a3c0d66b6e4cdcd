"""Housekeeping: take back expired leases, prune finished tasks, cancel pending ones.

Workers rescue and prune on their own timers; the CLI and admin API call the
same functions. Each is safe to run from many processes at once (SKIP LOCKED).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any
from uuid import UUID

from psycopg import AsyncConnection
from psycopg.rows import tuple_row

from automechanica.queue import queries
from automechanica.queue.backoff import RetryPolicy, after_failure
from automechanica.queue.lease import Failure, Lease, Settlement, settle

RESCUE_BATCH = 1000
PRUNE_BATCH = 5000


async def rescue_expired(
    conn: AsyncConnection[Any],
    policy_for: Callable[[str], RetryPolicy],
    *,
    limit: int = RESCUE_BATCH,
) -> list[Failure]:
    """Take back leases whose holder stopped heartbeating; each counts as a failed attempt.

    The attempt was counted when the task was leased, so a task that reached its
    `max_attempts` this way is dead; the others retry after their kind's backoff.
    """
    async with conn.transaction(), conn.cursor(row_factory=tuple_row) as cur:
        await cur.execute(queries.EXPIRED_LEASES, {"limit": limit})
        rows = await cur.fetchall()
        if not rows:
            return []
        failures = []
        for task_id, kind, attempts, max_attempts, token, leased_by in rows:
            status, delay = after_failure(
                policy_for(kind), attempt=attempts, max_attempts=max_attempts, retryable=True
            )
            held = Lease(task_id, kind, {}, 0, attempts, max_attempts, token)
            error = (
                f"lease expired: worker {leased_by} stopped heartbeating "
                "(it crashed, stalled or lost the database) during attempt "
                f"{attempts} of {max_attempts}"
            )
            failures.append(Failure(held, status, delay, error))
        await settle(conn, Settlement(failed=failures))
    return failures


async def prune_completed(
    conn: AsyncConnection[Any], *, older_than_seconds: float, limit: int = PRUNE_BATCH
) -> int:
    """Delete up to `limit` completed tasks finished more than `older_than_seconds` ago."""
    async with conn.cursor() as cur:
        await cur.execute(queries.PRUNE_COMPLETED, {"seconds": older_than_seconds, "limit": limit})
        return cur.rowcount


async def prune_all(conn: AsyncConnection[Any], *, older_than_seconds: float) -> int:
    """Prune in bounded batches until nothing is left to prune; the total deleted."""
    total = 0
    while True:
        deleted = await prune_completed(conn, older_than_seconds=older_than_seconds)
        total += deleted
        if deleted < PRUNE_BATCH:
            return total


async def cancel_pending(
    conn: AsyncConnection[Any],
    *,
    ids: Sequence[int] | None = None,
    kind: str | None = None,
    workflow_id: UUID | None = None,
) -> list[int]:
    """Delete tasks that have not started (pending, or failed and waiting to retry).

    Leased and running tasks are left alone: they finish or fail on their own. The
    lifecycle has no cancelled state (DESIGN.md §4), so a cancelled task is gone.
    """
    if ids is None and kind is None and workflow_id is None:
        raise ValueError("cancel_pending: name task ids, a kind or a workflow")
    async with conn.cursor(row_factory=tuple_row) as cur:
        await cur.execute(
            queries.CANCEL_PENDING,
            {
                "ids": list(ids) if ids is not None else None,
                "kind": kind,
                "workflow_id": workflow_id,
            },
        )
        return sorted(row[0] for row in await cur.fetchall())
