"""`automechanica memory status`: jobs per kind and state, the backlog's age, vectors per model."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from psycopg import AsyncConnection, sql
from psycopg.rows import tuple_row

from automechanica.memory.sources import KINDS, Kind, source

# Served by embedding_jobs_kind_status (kind, status, created_at).
JOB_COUNTS = """
SELECT kind,
       count(*) FILTER (WHERE status = 'pending'),
       count(*) FILTER (WHERE status = 'leased'),
       count(*) FILTER (WHERE status = 'done'),
       count(*) FILTER (WHERE status = 'failed'),
       count(*) FILTER (WHERE status = 'dead'),
       extract(epoch FROM now() - min(created_at)
               FILTER (WHERE status IN ('pending', 'leased', 'failed')))
FROM embedding_jobs GROUP BY kind
"""
VECTOR_COUNTS = "SELECT model, count(*) FROM {table} GROUP BY model"


@dataclass
class KindStatus:
    """One kind's jobs and vectors."""

    kind: Kind
    pending: int = 0
    leased: int = 0
    done: int = 0
    failed: int = 0  # waiting for a retry
    dead: int = 0
    backlog_age_seconds: float | None = None  # the oldest job not yet done
    vectors: dict[str, int] = field(default_factory=dict)  # per model

    @property
    def backlog(self) -> int:
        return self.pending + self.leased + self.failed


async def memory_status(conn: AsyncConnection[Any]) -> list[KindStatus]:
    """Every kind, in a fixed order, even those with no job yet."""
    found = {kind: KindStatus(kind) for kind in KINDS}
    async with conn.cursor(row_factory=tuple_row) as cur:
        await cur.execute(JOB_COUNTS)
        for kind, pending, leased, done, failed, dead, age in await cur.fetchall():
            status = found[kind]
            status.pending, status.leased, status.done = pending, leased, done
            status.failed, status.dead = failed, dead
            status.backlog_age_seconds = float(age) if age is not None else None
        for kind in KINDS:
            await cur.execute(
                sql.SQL(VECTOR_COUNTS).format(table=sql.Identifier(source(kind).table))
            )
            found[kind].vectors = {str(m): int(n) for m, n in await cur.fetchall()}
    return list(found.values())
