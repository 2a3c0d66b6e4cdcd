"""Queue statistics: counts per state and kind, the oldest due task, throughput."""

from __future__ import annotations

from typing import Any

from psycopg import AsyncConnection
from psycopg.rows import dict_row

from automechanica.queue import queries
from automechanica.queue.models import STATUSES, KindStats, QueueStats, Status


def _zero() -> dict[Status, int]:
    return dict.fromkeys(STATUSES, 0)


def _oldest(a: float | None, b: float | None) -> float | None:
    values = [v for v in (a, b) if v is not None]
    return max(values) if values else None


async def queue_stats(conn: AsyncConnection[Any]) -> QueueStats:
    """One scan of the tasks table, plus its live and dead tuple counts."""
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(queries.STATS_BY_KIND)
        rows = await cur.fetchall()
        await cur.execute(queries.TABLE_HEALTH)
        health = await cur.fetchone() or {"live": 0, "dead": 0}
    kinds: dict[str, KindStats] = {}
    totals = _zero()
    oldest: float | None = None
    completed_1m = completed_5m = 0
    for row in rows:
        stats = kinds.setdefault(
            row["kind"],
            KindStats(
                kind=row["kind"],
                counts=_zero(),
                oldest_runnable_seconds=None,
                completed_last_minute=0,
            ),
        )
        status: Status = row["status"]
        stats.counts[status] += row["count"]
        totals[status] += row["count"]
        stats.oldest_runnable_seconds = _oldest(
            stats.oldest_runnable_seconds, row["oldest_runnable_seconds"]
        )
        oldest = _oldest(oldest, row["oldest_runnable_seconds"])
        stats.completed_last_minute += row["completed_1m"]
        completed_1m += row["completed_1m"]
        completed_5m += row["completed_5m"]
    return QueueStats(
        counts=totals,
        oldest_runnable_seconds=oldest,
        completed_per_second_1m=completed_1m / 60,
        completed_per_second_5m=completed_5m / 300,
        kinds=[kinds[k] for k in sorted(kinds)],
        table_live_rows=health["live"],
        table_dead_rows=health["dead"],
    )
