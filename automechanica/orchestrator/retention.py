"""Pruning: finished workflows and their journals go after a retention period.

Decisions (agent events) and reviews are the store's record and stay, unlinked
from the pruned run; the step journal and fan-out batches go with it.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from psycopg import AsyncConnection

from automechanica.orchestrator import queries

DEFAULT_RETENTION = timedelta(days=30)


async def prune_workflows(
    conn: AsyncConnection[Any], retention: timedelta = DEFAULT_RETENTION, *, limit: int = 1000
) -> int:
    """Delete up to `limit` workflows finished before `retention` ago; returns how many."""
    total = 0
    while True:
        async with conn.transaction():
            cur = await conn.execute(
                queries.PRUNE_WORKFLOWS, {"retention": retention, "limit": limit}
            )
            total += cur.rowcount
        if cur.rowcount < limit:
            return total
