"""Embedding jobs: lease a batch with one token, then complete, fail or release it.

The queue's pattern on the `embedding_jobs` table: the claim is one statement
(`FOR UPDATE SKIP LOCKED` over the partial index of runnable rows, oldest
`run_at` first), a lease carries a token and an expiry taken from the database
clock, and every write back checks the token, so a worker whose lease was taken
back cannot complete anything. Failures use `automechanica.queue`'s RetryPolicy:
exponential backoff with jitter, then `dead` once attempts are exhausted or the
input can never be embedded.

    pending -> leased -> done
                     `-> failed (retry at run_at) -> leased …
                     `-> dead   (waits for `memory replay`)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID, uuid4

from psycopg import AsyncConnection
from psycopg.rows import tuple_row

from automechanica.memory.sources import Kind

CHANNEL = "automechanica_embeddings"
MAX_ERROR_CHARS = 2_000

LEASE = """
WITH due AS (
    SELECT id FROM embedding_jobs
    WHERE status IN ('pending', 'failed') AND run_at <= now()
      AND kind = ANY(%(kinds)s) AND (model IS NULL OR model = %(model)s)
    ORDER BY run_at
    LIMIT %(limit)s
    FOR UPDATE SKIP LOCKED
)
UPDATE embedding_jobs j
SET status = 'leased', lease_token = %(token)s, attempts = j.attempts + 1,
    lease_expires_at = now() + make_interval(secs => %(seconds)s), updated_at = now()
FROM due WHERE j.id = due.id
RETURNING j.id, j.kind, j.ref_id, j.content, j.content_hash, j.attempts
"""
COMPLETE = """
UPDATE embedding_jobs
SET status = 'done', lease_token = NULL, lease_expires_at = NULL, last_error = NULL,
    model = %(model)s, updated_at = now()
WHERE id = ANY(%(ids)s) AND lease_token = %(token)s AND status = 'leased'
"""
FAIL = """
UPDATE embedding_jobs j
SET status = f.status, run_at = now() + make_interval(secs => f.delay), last_error = f.error,
    lease_token = NULL, lease_expires_at = NULL, updated_at = now()
FROM unnest(%(ids)s::bigint[], %(statuses)s::text[], %(delays)s::float8[], %(errors)s::text[])
     AS f(id, status, delay, error)
WHERE j.id = f.id AND j.lease_token = %(token)s AND j.status = 'leased'
"""
RELEASE = """
UPDATE embedding_jobs
SET status = 'pending', attempts = greatest(attempts - 1, 0), lease_token = NULL,
    lease_expires_at = NULL, updated_at = now()
WHERE id = ANY(%(ids)s) AND lease_token = %(token)s AND status = 'leased'
"""
# Served by embedding_jobs_leases (partial: leased rows only).
RESCUE = """
UPDATE embedding_jobs
SET status = CASE WHEN attempts >= %(max_attempts)s THEN 'dead' ELSE 'failed' END,
    last_error = 'lease expired: the worker stopped or stalled mid-batch',
    lease_token = NULL, lease_expires_at = NULL, run_at = now(), updated_at = now()
WHERE status = 'leased' AND lease_expires_at < now()
RETURNING id
"""
PRUNE = """
DELETE FROM embedding_jobs WHERE id IN (
    SELECT id FROM embedding_jobs
    WHERE kind = ANY(%(kinds)s) AND status = 'done'
      AND created_at < now() - make_interval(secs => %(seconds)s)
    LIMIT 10000)
"""
REPLAY = """
UPDATE embedding_jobs
SET status = 'pending', attempts = 0, run_at = now(), updated_at = now()
WHERE status = 'dead' AND (%(kind)s::text IS NULL OR kind = %(kind)s)
"""


@dataclass(frozen=True)
class Job:
    """One leased job: embed `content` for the `kind` row `ref_id`."""

    id: int
    kind: Kind
    ref_id: str
    content: str
    content_hash: str
    attempt: int

    @property
    def ref(self) -> int:
        return int(self.ref_id)


@dataclass(frozen=True)
class Batch:
    """Jobs leased together under one token."""

    token: UUID
    jobs: list[Job]


@dataclass(frozen=True)
class JobFailure:
    job_id: int
    status: str  # 'failed' (retry after delay) or 'dead'
    delay: float
    error: str


async def lease(
    conn: AsyncConnection[Any],
    *,
    kinds: Sequence[str],
    model: str,
    limit: int,
    lease_seconds: float,
) -> Batch:
    """Claim up to `limit` due jobs in one statement, oldest first."""
    token = uuid4()
    async with conn.cursor(row_factory=tuple_row) as cur:
        await cur.execute(
            LEASE,
            {
                "kinds": list(kinds),
                "model": model,
                "limit": limit,
                "token": token,
                "seconds": lease_seconds,
            },
        )
        rows = await cur.fetchall()
    jobs = sorted((Job(*row) for row in rows), key=lambda j: j.id)
    return Batch(token, jobs)


async def complete(
    conn: AsyncConnection[Any], batch: Batch, ids: Sequence[int], *, model: str
) -> int:
    """Mark `ids` of `batch` done; returns how many still held the lease."""
    if not ids:
        return 0
    cur = await conn.execute(COMPLETE, {"ids": list(ids), "token": batch.token, "model": model})
    return cur.rowcount


async def fail(conn: AsyncConnection[Any], batch: Batch, failures: Sequence[JobFailure]) -> int:
    if not failures:
        return 0
    cur = await conn.execute(
        FAIL,
        {
            "ids": [f.job_id for f in failures],
            "statuses": [f.status for f in failures],
            "delays": [f.delay for f in failures],
            "errors": [f.error[:MAX_ERROR_CHARS] for f in failures],
            "token": batch.token,
        },
    )
    return cur.rowcount


async def release(conn: AsyncConnection[Any], batch: Batch, ids: Sequence[int]) -> int:
    """Hand jobs back unattempted (shutdown)."""
    if not ids:
        return 0
    cur = await conn.execute(RELEASE, {"ids": list(ids), "token": batch.token})
    return cur.rowcount


async def rescue_expired(conn: AsyncConnection[Any], *, max_attempts: int) -> int:
    """Take back leases that expired; each counts as a failed attempt."""
    cur = await conn.execute(RESCUE, {"max_attempts": max_attempts})
    return cur.rowcount


async def prune_done(
    conn: AsyncConnection[Any], *, kinds: Sequence[str], older_than_seconds: float
) -> int:
    """Delete up to 10,000 done jobs older than the retention."""
    cur = await conn.execute(PRUNE, {"kinds": list(kinds), "seconds": older_than_seconds})
    return cur.rowcount


async def replay_dead(conn: AsyncConnection[Any], *, kind: str | None = None) -> int:
    """Dead jobs back to pending with fresh attempts (after fixing their cause)."""
    cur = await conn.execute(REPLAY, {"kind": kind})
    return cur.rowcount


async def backfill(conn: AsyncConnection[Any], sql_text: str, *, model: str) -> int:
    """Run a kind's backfill statement: jobs for rows without a vector of `model`."""
    cur = await conn.execute(sql_text, {"model": model})
    return cur.rowcount
