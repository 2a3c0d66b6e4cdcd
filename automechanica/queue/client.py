"""The queue client: enqueue through a pool, or inside a caller's transaction."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool
from pydantic import BaseModel

from automechanica.queue.enqueue import insert_tasks, new_task
from automechanica.queue.models import DEFAULT_MAX_ATTEMPTS, DEFAULT_MAX_PAYLOAD_BYTES, NewTask


class Queue:
    """Enqueue tasks on the database behind `pool`.

    Every method takes an optional `conn`: given one, the tasks are written in that
    connection's transaction and exist only if it commits; otherwise a pooled
    connection writes them at once.
    """

    def __init__(
        self,
        pool: AsyncConnectionPool[Any],
        *,
        max_payload_bytes: int = DEFAULT_MAX_PAYLOAD_BYTES,
    ) -> None:
        self.pool = pool
        self.max_payload_bytes = max_payload_bytes

    async def enqueue(
        self,
        kind: str,
        payload: BaseModel | Mapping[str, Any] | None = None,
        *,
        priority: int = 0,
        run_at: datetime | None = None,
        idempotency_key: str | None = None,
        max_attempts: int = DEFAULT_MAX_ATTEMPTS,
        workflow_id: UUID | None = None,
        conn: AsyncConnection[Any] | None = None,
    ) -> int:
        """Enqueue one task; its id (the existing task's, for a repeated idempotency key)."""
        task = new_task(
            kind,
            payload,
            priority=priority,
            run_at=run_at,
            idempotency_key=idempotency_key,
            max_attempts=max_attempts,
            workflow_id=workflow_id,
        )
        (task_id,) = await self.enqueue_many([task], conn=conn)
        return task_id

    async def enqueue_many(
        self, tasks: Sequence[NewTask], *, conn: AsyncConnection[Any] | None = None
    ) -> list[int]:
        """Enqueue a batch (thousands at once) in one round trip; ids in input order."""
        if conn is not None:
            return await insert_tasks(conn, tasks, max_payload_bytes=self.max_payload_bytes)
        async with self.pool.connection() as pooled, pooled.transaction():
            return await insert_tasks(pooled, tasks, max_payload_bytes=self.max_payload_bytes)
