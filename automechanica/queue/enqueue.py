"""Enqueue: validate tasks at the edge and insert a batch of any size in one round trip.

Pass a connection and the tasks exist only if that connection's transaction commits:
an orchestrator creates a workflow's next tasks in the same transaction as the
workflow's state change. A repeated idempotency key yields the task already there.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

import psycopg
from psycopg import AsyncConnection
from psycopg.rows import tuple_row
from pydantic import BaseModel, ValidationError
from pydantic_core import to_json

from automechanica.errors import DatabaseError
from automechanica.queue import queries
from automechanica.queue.errors import PayloadError, PayloadTooLargeError, QueueError
from automechanica.queue.models import DEFAULT_MAX_ATTEMPTS, DEFAULT_MAX_PAYLOAD_BYTES, NewTask


def new_task(
    kind: str,
    payload: BaseModel | Mapping[str, Any] | None = None,
    *,
    priority: int = 0,
    run_at: datetime | None = None,
    idempotency_key: str | None = None,
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
    workflow_id: UUID | None = None,
) -> NewTask:
    """A validated task; raises `PayloadError` with the first problem found."""
    data: Any = payload.model_dump(mode="json") if isinstance(payload, BaseModel) else payload
    try:
        return NewTask(
            kind=kind,
            payload=data if data is not None else {},
            priority=priority,
            run_at=run_at,
            idempotency_key=idempotency_key,
            max_attempts=max_attempts,
            workflow_id=workflow_id,
        )
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "task"
        raise PayloadError(str(kind), f"{where}: {first['msg']}") from exc


def encode_payload(task: NewTask, max_bytes: int = DEFAULT_MAX_PAYLOAD_BYTES) -> str:
    """The payload as JSON text, refused when it is over `max_bytes`."""
    encoded = to_json(task.payload)
    if len(encoded) > max_bytes:
        raise PayloadTooLargeError(task.kind, len(encoded), max_bytes)
    return encoded.decode()


async def insert_tasks(
    conn: AsyncConnection[Any],
    tasks: Sequence[NewTask],
    *,
    max_payload_bytes: int = DEFAULT_MAX_PAYLOAD_BYTES,
) -> list[int]:
    """Insert `tasks` in one statement on `conn` (in its transaction, if one is open).

    Returns one task id per input, in input order; an idempotency key that already
    exists (or repeats within the batch) gives the id of the task holding it.
    """
    if not tasks:
        return []
    payloads = [encode_payload(t, max_payload_bytes) for t in tasks]
    params = {
        "kinds": [t.kind for t in tasks],
        "payloads": payloads,
        "priorities": [t.priority for t in tasks],
        "run_ats": [t.run_at for t in tasks],
        "keys": [t.idempotency_key for t in tasks],
        "max_attempts": [t.max_attempts for t in tasks],
        "workflow_ids": [t.workflow_id for t in tasks],
        "channel": queries.CHANNEL,
    }
    try:
        async with conn.cursor(row_factory=tuple_row) as cur:
            await cur.execute(queries.INSERT_TASKS, params)
            inserted: list[tuple[int, str | None]] = await cur.fetchall()
            by_key = {key: id_ for id_, key in inserted if key is not None}
            missing = {t.idempotency_key for t in tasks if t.idempotency_key} - by_key.keys()
            if missing:
                await cur.execute(queries.TASK_IDS_BY_KEY, {"keys": sorted(missing)})
                by_key |= {key: id_ for id_, key in await cur.fetchall()}
    except psycopg.errors.ForeignKeyViolation as exc:
        raise PayloadError(tasks[0].kind, "workflow_id names no workflow") from exc
    except psycopg.OperationalError as exc:
        raise DatabaseError(f"Could not enqueue {len(tasks)} task(s): {exc}") from exc
    lost = {t.idempotency_key for t in tasks if t.idempotency_key} - by_key.keys()
    if lost:
        raise QueueError(
            f"Idempotency key(s) {sorted(lost)[:3]} conflicted with a task that is no longer "
            "visible (deleted meanwhile, or hidden by a REPEATABLE READ snapshot); enqueue "
            "again in a fresh READ COMMITTED transaction."
        )
    unkeyed = iter(id_ for id_, key in inserted if key is None)
    return [by_key[t.idempotency_key] if t.idempotency_key else next(unkeyed) for t in tasks]
